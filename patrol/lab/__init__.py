"""The bundled emulated lab: real protocol peers on this machine for the demo and the tests."""

"""Secret grammars (:mod:`.grammar`) and the one-pass engine (:mod:`.engine`) behind :mod:`patrol.redact`."""

"""Collection: the contract every collector plugin follows, and the concurrent dispatcher."""

from patrol.collect.base import CollectContext, Collector, Emit, Platform, failure_result

__all__ = ["CollectContext", "Collector", "Emit", "Platform", "failure_result"]

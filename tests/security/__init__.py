"""Security stories: hostile device text, run against real lab peers."""

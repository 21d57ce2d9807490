"""End-to-end tests: the real Claude Code CLI against a local stand-in Messages API."""

"""MCP server for the Telnyx IoT API."""

__version__ = "0.1.0"

"""An offline, stateful emulation of the Telnyx IoT API (the embedded default backend)."""

from .app import Sandbox, create_app, serve, summary

__all__ = ["Sandbox", "create_app", "serve", "summary"]

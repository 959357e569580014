"""firedrill's I/O shell: CLI, HTTP/WebSocket server, persistence."""

"""Production set-up: Apache site templates, systemd units, and the end-to-end deploy check."""

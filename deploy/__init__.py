"""Production set-up: Apache site templates, systemd units, and the loopback stack (stack.py) the
deploy tests (tests/deploy/, `make deploy-check`) run against."""

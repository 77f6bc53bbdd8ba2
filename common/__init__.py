"""Plain-Python helpers every layer may import: `scraping`, `lyrics`, `generator` (its ML core
included), `deploy`, `bench` and the tests. Nothing here imports Django or an app, so the
imports stay downhill: this package is the bottom floor."""

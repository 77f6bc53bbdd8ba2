from django.apps import AppConfig


class RaplyricsConfig(AppConfig):
    """Site-wide pieces: the admin of axes' sign-in records, the deploy checks."""

    name = "raplyrics"

    def ready(self) -> None:
        from raplyrics import checks  # noqa: F401  (registers them)

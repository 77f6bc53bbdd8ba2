from django.apps import AppConfig


class LyricsConfig(AppConfig):
    name = "lyrics"
    verbose_name = "Lyrics catalogue"

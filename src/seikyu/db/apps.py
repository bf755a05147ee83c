from django.apps import AppConfig


class DbConfig(AppConfig):
    name = "seikyu.db"
    label = "seikyu_db"

    def ready(self) -> None:
        from . import lookups

        lookups.register()

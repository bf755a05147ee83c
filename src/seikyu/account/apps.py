from django.apps import AppConfig


class AccountConfig(AppConfig):
    name = "seikyu.account"
    label = "account"
    default_auto_field = "django.db.models.BigAutoField"

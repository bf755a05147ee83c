from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "seikyu.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from seikyu.billing.timed_work import TimedWork, register
        from seikyu.events.subscribers import subscribe

        from . import schedule, subscribers

        subscribe(subscribers.INVOICE_EVENTS, subscribers.on_invoice_events)
        subscribe(subscribers.SUBSCRIPTION_EVENTS, subscribers.on_subscription_events)
        subscribe(subscribers.CARD_EVENTS, subscribers.on_card_events)
        subscribe(subscribers.CLOCK_EVENTS, subscribers.on_clock_events)
        subscribe(subscribers.CREDIT_NOTE_EVENTS, subscribers.on_credit_note_events)
        register(TimedWork("notifications", schedule.next_due, schedule.run_due))

"""The only code that changes billing state. Each function runs in one transaction that also
writes the events of the change (``seikyu.events.services.emit``)."""

"""Wire rendering: each billing object as Stripe's JSON shape, with related objects as ids.

``render(obj)`` dispatches on the model; expansion of ids into objects is the API's job and works
through ``model_for_id`` (the id prefix names the model).
"""

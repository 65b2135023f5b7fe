from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "customers.webhooks"
    label = "webhooks"
    verbose_name = "Events and webhooks"

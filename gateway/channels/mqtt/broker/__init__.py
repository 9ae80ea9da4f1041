"""The embedded MQTT broker: an in-process broker for the no-install configuration and the demo."""

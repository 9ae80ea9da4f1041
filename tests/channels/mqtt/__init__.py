"""Tests of the MQTT channel: client, broker, intake, publisher, topics."""

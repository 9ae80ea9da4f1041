"""Status publication over MQTT: the outbox publisher and the topic scheme (docs/TOPICS.md)."""

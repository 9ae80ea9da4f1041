"""MQTT: the aiomqtt adapter (client), the embedded broker, intake, the outbox publisher, topics (docs/TOPICS.md)."""

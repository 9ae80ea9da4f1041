"""FpML over MQTT: trade sources publish to ``ccp/in/{source}/fpml`` (docs/TOPICS.md)."""

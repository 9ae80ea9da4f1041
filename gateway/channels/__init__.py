"""Channels: how bytes arrive and leave (MQTT, FIX sessions)."""

"""Tests of the channels (MQTT, FIX sessions)."""

"""MQTT: the topic publisher and Home Assistant discovery."""

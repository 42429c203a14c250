"""Alert channels (email, webhook, MQTT, Home Assistant) and the engine that drives them."""

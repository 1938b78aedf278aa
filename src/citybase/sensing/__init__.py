"""Sensing, the city's eyes: SensorThings API, MQTT ingestion, observation store, alarms."""

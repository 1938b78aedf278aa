"""Governed sharing between departments (一网通用) and the citizens' data tracker."""

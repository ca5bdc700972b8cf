"""Tandem metrics service: program KPIs from every event, exposed to Prometheus and as a JSON report."""

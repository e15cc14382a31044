"""Delivery of queued exports (outbox worker, folder/https/fhir/hub targets), bundles and
the row merge that serves the clinic hub and bundle imports."""

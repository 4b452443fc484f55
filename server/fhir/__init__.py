"""FHIR R4 endpoint (`/fhir/R4`): the clinic's data as FHIR resources, writes through the actions.

No second store: every resource is mapped on the fly from the tables (`docs/fhir.md`); writes
call the same actions as the REST API, so capacity, overbooking, tokens and audit rows agree.
"""

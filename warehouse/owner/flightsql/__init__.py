"""Apache Arrow Flight SQL's protocol messages, the subset Kasuwa's owners serve
(``FlightSql.proto``; ``FlightSql_pb2.py`` is generated from it by ``scripts/flightsql_proto``)."""

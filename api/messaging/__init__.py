"""The desk's ready messages (issue 17): composed when a plan is accepted
(:func:`~api.messaging.facts.ready_messages`, from :mod:`fleetplan.messages`), queued in the outbox
in the accept's own transaction, sent by a background :class:`~api.messaging.sender.Sender` through a
gateway (:mod:`api.messaging.gateways`: a log by default, an HTTP webhook by setting) and acknowledged
or sent again by the dispatcher (:mod:`api.messaging.outbox`, ``/incidents/{number}/messages``)."""

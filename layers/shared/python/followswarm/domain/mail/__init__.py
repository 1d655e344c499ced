"""Member mail: templates (files in ``templates/``), rendering, delivery through SendGrid,
unsubscribe links and preferences, milestone and digest triggers.

Queuing a mail is :func:`followswarm.domain.identity.notifier.notify`; everything here runs in
the notifier function, except the unsubscribe routes' token check and the triggers.
"""

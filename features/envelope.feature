@area:envelope
Feature: Delivering documents in an envelope (binding B)
  An issuing Management Authority pushes a signed document to its partner over
  HTTPS, wrapped in an envelope that says who sends it, to whom, when, and what it
  carries. The partner checks the envelope before it looks at the document.

  Here we are the issuing authority and the partner receives.

  @ENV-01 @capability:receive
  Scenario: The partner's endpoint is protected by TLS 1.2 or newer
    When we open a connection to the partner's endpoint
    Then the connection is protected by TLS 1.2 or newer, or it is a test set-up on the loopback network

  @ENV-02 @needs:ACK-06 @capability:receive
  Scenario: A delivery from a sender that does not identify itself is refused
    Given an export permit that we issued
    When a sender without a client identity delivers it to the partner
    Then the partner refuses the sender before looking at the envelope

  @ENV-02 @needs:ENV-11 @capability:receive
  Scenario: A partner that checks client certificates ignores the test header
    Given an export permit that another registered party issued
    And the partner identifies its callers by their client certificate
    When we deliver it to the partner with the test header naming that other party
    Then the partner rejects it with EPX-105

  @ENV-03 @capability:receive
  Scenario Outline: A delivery must be labelled as XML
    Given an export permit that we issued
    When we deliver it to the partner labelled as "<media type>"
    Then the partner rejects it with EPX-102

    Examples:
      | media type       |
      | text/plain       |
      | application/json |

  @ENV-03 @needs:ACK-01 @needs:ACK-04 @needs:SIG-03 @capability:receive
  Scenario: A delivery labelled as XML in UTF-8 is accepted
    Given an export permit that we issued
    When we deliver it to the partner labelled as "application/xml; charset=utf-8"
    Then the partner accepts it

  @ENV-04 @needs:ACK-01 @needs:ACK-04 @needs:SIG-03 @capability:receive
  Scenario: A delivery of 10 MiB is not refused for its size
    Given an export permit that we issued, with special conditions that make the delivery about 10 MiB long
    When we deliver it to the partner
    Then the partner accepts it

  @ENV-04 @capability:receive
  Scenario: A delivery larger than the partner's limit is refused
    When we deliver a body larger than the partner's size limit
    Then the partner rejects it with EPX-103

  @ENV-05 @capability:receive
  Scenario Outline: Every refusal carries a rejected acknowledgement with an error
    Given an export permit that we issued
    When we deliver it to the partner <how>
    Then the answer carries an acknowledgement with the status Rejected and at least one error

    @needs:ENV-03
    Examples: a body not labelled as XML
      | how                      |
      | labelled as "text/plain" |

    Examples: a body that is not XML
      | how                                   |
      | as a body that is not well-formed XML |

    @needs:ENV-12
    Examples: an unknown recipient
      | how                                            |
      | addressed to a party the partner does not know |

    @needs:DOC-02
    Examples: a value outside its code list
      | how                                      |
      | with a source code "K" in the permit     |

  @ENV-06 @capability:receive @changes-state
  Scenario: A delivery repeated after a failure is treated as the same message
    Given an export permit that we issued
    When we deliver it to the partner
    And we deliver the same envelope again, with the same message ID and the same bytes
    Then the partner answers the repeat as it answered the first delivery

  @ENV-06 @ACK-07 @needs:ACK-01 @needs:ACK-04 @needs:SIG-03 @capability:usage-report @changes-state
  Scenario: A usage report delivered again after a failure counts once
    Given a permit that the partner issued and that has not been used
    When we report the use of half of the quantity of each item
    And we deliver the same envelope again, with the same message ID and the same bytes
    And we report the use of half of the quantity of each item
    Then the partner accepts it

  @ENV-10 @capability:receive
  Scenario Outline: An envelope that does not follow the envelope schema is rejected
    Given an export permit that we issued
    When we deliver it to the partner in an envelope with <flaw>
    Then the partner rejects it with EPX-101

    Examples:
      | flaw                                      |
      | no message ID                             |
      | a message ID that is not a UUID           |
      | two documents in the payload              |
      | a header element the profile does not define |

  @ENV-11 @capability:receive
  Scenario: The envelope's sender must be the party that connected
    Given an export permit that another registered party issued
    When we deliver it to the partner in an envelope whose sender is that other party
    Then the partner rejects it with EPX-105

  @ENV-12 @capability:receive
  Scenario: The envelope must be addressed to the partner
    Given an export permit that we issued
    When we deliver it to the partner addressed to a party the partner does not know
    Then the partner rejects it with EPX-104

  @ENV-13 @needs:ACK-01 @needs:ACK-04 @needs:SIG-03 @capability:receive
  Scenario Outline: The envelope's creation time must be within a day of the partner's clock
    Given an export permit that we issued
    When we deliver it to the partner in an envelope created <when>
    Then the partner <outcome>

    Examples:
      | when                    | outcome                  |
      | 23 hours ago            | accepts it               |
      | 24 hours and 10 minutes ago | rejects it with EPX-107 |
      | 24 hours and 10 minutes from now | rejects it with EPX-107 |

  @ENV-14 @needs:ACK-01 @needs:ACK-04 @needs:SIG-03 @capability:receive
  Scenario Outline: Every document type of the profile is accepted in the envelope
    Given <document> that we issued
    When we deliver it to the partner
    Then the partner accepts it

    Examples:
      | document                  |
      | an export permit          |
      | a re-export certificate   |
      | an import permit          |
      | an other certificate      |

  @ENV-14 @capability:receive
  Scenario Outline: The envelope's document status must go with its document type
    Given an export permit that we issued
    When we deliver it to the partner in an envelope whose document status is "<status>"
    Then the partner rejects it with EPX-108

    Examples:
      | status    |
      | used      |
      | cancelled |

  @ENV-15 @capability:receive
  Scenario Outline: The envelope and the document must agree
    Given an export permit that we issued
    When we deliver it to the partner in an envelope whose <header field> differs from the document
    Then the partner rejects it with EPX-302

    Examples:
      | header field    |
      | document number |
      | document type   |

  @ENV-15 @capability:receive
  Scenario: The sender must be the authority that issued the permit
    Given an export permit that another registered party issued
    When we deliver it to the partner
    Then the partner rejects it with EPX-302

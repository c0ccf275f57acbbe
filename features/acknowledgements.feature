@area:acknowledgements
Feature: Acknowledgements of delivered envelopes (binding B)
  Every delivered envelope gets exactly one final acknowledgement from the partner:
  Accepted or Rejected, perhaps after a first one that only says Received. The
  acknowledgement is signed, names the envelope it answers, and its HTTP status tells
  the same story as its content.

  @ACK-01 @capability:receive
  Scenario Outline: The acknowledgement follows the envelope schema
    Given <document>
    When we deliver it to the partner
    Then the final acknowledgement is valid against the envelope schema

    Examples: an accepted document
      | document                        |
      | an export permit that we issued |

    @needs:ENV-05
    Examples: a rejected document
      | document                                                                              |
      | an export permit that we issued, with a source code "K" that is not in the CITES list |

  @ACK-02 @capability:receive
  Scenario Outline: The acknowledgement answers the envelope that was delivered
    Given <document>
    When we deliver it to the partner
    Then the final acknowledgement refers to the message ID of our envelope
    And the final acknowledgement comes from the partner and is addressed to us
    And the final acknowledgement has a message ID of its own

    Examples: an accepted document
      | document                        |
      | an export permit that we issued |

    @needs:ENV-05
    Examples: a rejected document
      | document                                                                              |
      | an export permit that we issued, with a source code "K" that is not in the CITES list |

  @ACK-03 @capability:receive
  Scenario: An accepted document is acknowledged without errors
    Given an export permit that we issued
    When we deliver it to the partner
    Then the final acknowledgement has the status Accepted and carries no error

  @ACK-03 @needs:DOC-02 @needs:ENV-05 @capability:receive
  Scenario: A rejected document is acknowledged with at least one error
    Given an export permit that we issued, with a source code "K" that is not in the CITES list
    When we deliver it to the partner
    Then the final acknowledgement has the status Rejected and carries at least one error of severity error

  @ACK-04 @SIG-03 @capability:receive
  Scenario Outline: The partner signs its acknowledgements
    Given <document>
    When we deliver it to the partner
    Then the final acknowledgement carries a signature that verifies against the partner's trust anchor

    Examples: an accepted document
      | document                        |
      | an export permit that we issued |

    @needs:ENV-05
    Examples: a rejected document
      | document                                                                              |
      | an export permit that we issued, with a source code "K" that is not in the CITES list |

  @ACK-05 @capability:receive
  Scenario: The final acknowledgement is available within 60 seconds
    Given an export permit that we issued
    When we deliver it to the partner
    Then the final acknowledgement is available within 60 seconds of the delivery
    And the partner gives the same final acknowledgement when we fetch it by the message ID of our envelope

  @ACK-05 @ACK-06 @capability:receive
  Scenario: There is no acknowledgement for a message that was never delivered
    When we fetch the acknowledgement of a message ID that we never delivered
    Then the partner answers that it does not know the message, with EPX-110

  @ACK-06 @capability:receive
  Scenario Outline: The HTTP status tells the same as the acknowledgement
    Given <document>
    When we deliver it to the partner
    Then the HTTP status of the answer is <status>

    @needs:ACK-01 @needs:ACK-04 @needs:SIG-03
    Examples: accepted
      | document                        | status     |
      | an export permit that we issued | 200 or 202 |

    @needs:DOC-02
    Examples: a value outside its code list
      | document                                                                              | status |
      | an export permit that we issued, with a source code "K" that is not in the CITES list | 422    |

    @needs:DOC-03
    Examples: a broken business rule
      | document                                                    | status |
      | an export permit that we issued, with a validity of 7 months | 422    |

    @needs:SIG-01
    Examples: a missing signature
      | document                                            | status |
      | an export permit that we issued, without a signature | 422    |

  @ACK-06 @needs:ENV-12 @capability:receive
  Scenario: A delivery to an unknown recipient gets the HTTP status of its error
    Given an export permit that we issued
    When we deliver it to the partner addressed to a party the partner does not know
    Then the HTTP status of the answer is 422

  @ACK-07 @capability:receive @changes-state
  Scenario Outline: Delivering the same message again gives the same answer and changes nothing
    Given <document>
    When we deliver it to the partner
    And we deliver the same envelope again, with the same message ID and the same bytes
    Then the second acknowledgement has the same status and refers to the same message as the first

    Examples: an accepted document
      | document                        |
      | an export permit that we issued |

    @needs:ENV-05
    Examples: a rejected document
      | document                                                                              |
      | an export permit that we issued, with a source code "K" that is not in the CITES list |

  @ACK-07 @ACK-06 @capability:receive
  Scenario: Reusing a message ID for different content is refused
    Given an export permit that we issued
    When we deliver it to the partner
    And we deliver another permit in an envelope with the same message ID
    Then the partner rejects it with EPX-106
    And the HTTP status of the answer is 409

@area:lifecycle
Feature: The life of a permit at the authority that issued it
  An issuing Management Authority keeps the state of every document it issued:
  issued, partially used, used, cancelled or replaced. Importing authorities retrieve
  its documents, report their use at the border, and the issuing authority alone
  cancels them.

  @LIF-01 @capability:retrieve
  Scenario Outline: An importing authority retrieves a permit with its current state
    Given <permit>
    When we retrieve that permit from the partner
    Then the partner returns the permit as it issued it, signed
    And the permit's digest is given as its entity tag
    And the permit's state is given as "<state>"

    Examples:
      | permit                                                      | state     |
      | a permit that the partner issued and that has not been used | issued    |
      | a permit that the partner issued and then cancelled         | cancelled |
      | a permit that the partner issued and that was used in full  | used      |

  @LIF-01 @ACK-06 @capability:retrieve
  Scenario: Retrieving a document that was never issued
    When we retrieve a permit number that the partner never issued
    Then the partner answers that it does not know the document, with EPX-304

  @LIF-01 @capability:retrieve
  Scenario: A replaced permit is retrieved in its latest version
    Given a permit that the partner issued and later replaced
    When we retrieve that permit from the partner
    Then the partner returns the latest version, the document that replaces it
    And the permit's state is given as "replaced"

  @LIF-01 @needs:ACK-06 @capability:retrieve
  Scenario: Only an authenticated party may retrieve a permit
    Given a permit that the partner issued and that has not been used
    When a caller without a client identity retrieves that permit
    Then the partner refuses the caller, with EPX-105 or by refusing the connection

  @LIF-02 @capability:receive
  Scenario: The partner says who it is and what it accepts
    When we ask the partner for its status
    Then the status names the partner's party ID and the profile version 1
    And the status lists each document type that the partner accepts

  @LIF-10 @capability:usage-report @changes-state
  Scenario Outline: A usage report must name a document that can be used
    Given <permit>
    When we report the use of <quantity> of its first item<when>
    Then the partner rejects it with <code>

    Examples: an unknown or expired permit
      | permit                                                      | quantity | when                                | code    |
      | a permit number that the partner never issued               | 1        |                                     | EPX-304 |
      | a permit that the partner issued and that has not been used | 1        | , on a day after the permit expired | EPX-306 |

    @LIF-21
    Examples: a cancelled permit
      | permit                                              | quantity | when | code    |
      | a permit that the partner issued and then cancelled | 1        |      | EPX-307 |

  @LIF-10 @capability:usage-report @changes-state
  Scenario: A usage report must name items that the permit has
    Given a permit that the partner issued and that has not been used
    When we report the use of 1 of an item the permit does not have
    Then the partner rejects it with EPX-303

  @LIF-11 @capability:usage-report @changes-state
  Scenario: A usage report may not exceed the permitted quantity
    Given a permit that the partner issued and that has not been used
    When we report the use of more than the permitted quantity of its first item
    Then the partner rejects it with EPX-305

  @LIF-11 @LIF-12 @needs:LIF-13 @needs:ENV-06 @needs:ACK-01 @needs:ACK-04 @needs:SIG-03 @capability:usage-report @changes-state
  Scenario: Usage reports add up until the permit is used in full
    Given a permit that the partner issued and that has not been used
    When we report the use of half of the quantity of each item
    And we report the use of half of the quantity of each item
    Then the partner accepts it
    When we report the use of 1 of its first item
    Then the partner rejects it with EPX-308

  @LIF-12 @capability:usage-report @changes-state
  Scenario: A permit that was used in full cannot be used again
    Given a permit that the partner issued and that was used in full
    When we report the use of 1 of its first item
    Then the partner rejects it with EPX-308

  @LIF-13 @needs:LIF-01 @needs:ENV-06 @capability:usage-report @changes-state
  Scenario Outline: An accepted usage report shows in the state of the permit
    Given a permit that the partner issued and that has not been used
    And the partner also lets us retrieve its permits
    When we report the use of <quantity> of each item
    And we retrieve that permit from the partner
    Then the permit's state is given as "<state>"

    Examples:
      | quantity                    | state          |
      | half of the quantity        | partially-used |
      | all of the quantity         | used           |

  @LIF-20 @capability:cancel @changes-state
  Scenario: Only the issuing authority may cancel a document
    Given a permit that the partner issued and that has not been used
    When we cancel that permit
    Then the partner rejects it with EPX-105

  @LIF-20 @needs:ACK-01 @needs:ACK-04 @needs:SIG-03 @capability:cancel @changes-state
  Scenario: The issuing authority cancels a permit it delivered
    Given an export permit that we issued
    When we deliver it to the partner
    And we cancel that permit
    Then the partner accepts it

  @LIF-21 @capability:usage-report @changes-state
  Scenario: A cancelled permit cannot be used
    Given a permit that the partner issued and then cancelled
    When we report the use of 1 of its first item
    Then the partner rejects it with EPX-307

  @LIF-21 @needs:LIF-01 @capability:retrieve
  Scenario: A cancelled permit answers with the state cancelled
    Given a permit that the partner issued and then cancelled
    When we retrieve that permit from the partner
    Then the permit's state is given as "cancelled"

  @LIF-22 @capability:cancel @changes-state
  Scenario: Cancelling a document that was never issued
    When we cancel a permit number that was never issued
    Then the partner rejects it with EPX-304

  @LIF-22 @needs:ACK-01 @needs:ACK-04 @needs:SIG-03 @capability:cancel @changes-state
  Scenario: Cancelling twice changes nothing
    Given an export permit that we issued
    When we deliver it to the partner
    And we cancel that permit
    And we cancel that permit again
    Then the partner accepts it

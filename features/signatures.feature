@area:signatures
Feature: Signatures on the documents that the partner receives
  Every document in an envelope carries one enveloped XML signature of the authority
  that issued it. The partner acts only on what the signature covers, made with a
  strong algorithm by a certificate that chains to the trust anchor the sender
  registered with the pilot, and that was valid and not revoked.

  @SIG-01 @capability:receive
  Scenario: An unsigned permit is rejected
    Given an export permit that we issued, without a signature
    When we deliver it to the partner
    Then the partner rejects it with EPX-200

  @SIG-01 @capability:receive
  Scenario: A permit changed after it was signed is rejected
    Given an export permit that we issued, changed after it was signed
    When we deliver it to the partner
    Then the partner rejects it with EPX-201

  @SIG-01 @needs:ACK-01 @needs:ACK-04 @needs:SIG-03 @capability:receive
  Scenario: A permit signed as the profile says is accepted
    Given an export permit that we issued
    When we deliver it to the partner
    Then the partner accepts it

  @SIG-02 @capability:receive
  Scenario Outline: A signature made with a forbidden algorithm is rejected
    Given an export permit that we issued, signed <how>
    When we deliver it to the partner
    Then the partner rejects it with EPX-205

    Examples:
      | how                                 |
      | with a 1024-bit RSA key             |
      | with the SHA-1 digest               |

  @SIG-03 @capability:receive
  Scenario: A signature that does not carry its certificate is rejected
    Given an export permit that we issued, signed without the signing certificate in the signature
    When we deliver it to the partner
    Then the partner rejects it with EPX-202

  @SIG-04 @capability:receive
  Scenario Outline: A signing certificate that is not trusted at signing time is rejected
    Given an export permit that we issued, signed <how>
    When we deliver it to the partner
    Then the partner rejects it with <code>

    @ERR-01
    Examples: an untrusted CA
      | how                                                        | code    |
      | by a certificate from a CA that the partner does not trust | EPX-202 |

    Examples: outside the certificate's validity
      | how                                     | code    |
      | by a certificate that had expired       | EPX-203 |
      | by a certificate that was not yet valid | EPX-203 |

  @SIG-05 @capability:receive
  Scenario Outline: The partner acts only on what the signature covers
    Given an export permit that we issued, <change>
    When we deliver it to the partner
    Then the partner rejects it with EPX-206

    Examples:
      | change                                                       |
      | with the signed permit wrapped inside a forged one            |
      | with a signature whose reference covers only part of the document |

  @SIG-06 @capability:receive
  Scenario: A permit signed by a revoked certificate is rejected
    Given an export permit that we issued, signed by a certificate that was revoked
    When we deliver it to the partner
    Then the partner rejects it with EPX-204

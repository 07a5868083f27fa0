@wall @slow
Feature: The big screen survives a server restart
  The big screen in the hall runs all day; nobody is there to press reload when the
  server is deployed or restarted.

  Scenario: The big screen stays live across a server restart
    Given a wall with these posts:
      | author | text                           |
      | ann    | Doors open at nine             |
    And the big screen is showing the wall
    When the web server goes down
    Then the big screen says it is reconnecting
    When somebody posts "Posted while the server was down" while the web server is down
    And the web server comes back
    Then the big screen shows "Posted while the server was down" without a reload
    And the big screen is live again
    When somebody posts "Posted after the restart"
    Then the big screen shows "Posted after the restart" without a reload
    And the big screen has no script errors

@wall
Feature: Hiding boosts
  Some people only want to read what was written for the event, not what was boosted.
  The switch is remembered by the browser.

  Scenario: The boost switch hides boosts, and they stay hidden after a reload
    Given a wall with these posts:
      | author | text                              | boosted |
      | ann    | My own notes from the workshop    | no      |
      | bob    | A talk announcement bob boosted   | yes     |
    When I open the wall
    Then I see the post "A talk announcement bob boosted" by bob
    When I switch boosts off
    Then the post "A talk announcement bob boosted" is hidden
    But I see the post "My own notes from the workshop" by ann
    When I reload the page
    Then the post "A talk announcement bob boosted" is hidden
    And the boost switch is still off

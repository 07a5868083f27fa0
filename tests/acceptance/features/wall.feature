@wall
Feature: Following a wall
  As somebody at the event, I open the wall on my phone or laptop
  and follow what people post about it, as they post it.

  Background:
    Given a wall with these posts:
      | author | text                            |
      | ann    | Hello from the first keynote    |
      | bob    | The coffee here is great        |

  Scenario: A visitor opens a wall and sees its posts
    When I open the wall
    Then I see the post "Hello from the first keynote" by ann
    And I see the post "The coffee here is great" by bob
    And the newest post comes first
    And the page has no script errors

  Scenario: A new post appears without reloading the page
    Given I have the wall open and it is live
    When somebody posts "Lunch is served in the main hall"
    Then the wall shows "Lunch is served in the main hall" without a reload
    And it is the first post on the wall
    And the page has no script errors

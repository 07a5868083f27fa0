@analytics
Feature: Analytics of a wall
  The people running the event watch how the conversation goes while it goes: posts per
  minute, who posts, what is waiting for a moderator, on a page that keeps itself current.

  Scenario: analytics update live
    Given a wall with these posts:
      | author | text                          |
      | ann    | Great keynote this morning    |
      | bob    | Lunch is served in the atrium |
    And I am logged in as a moderator
    When I open the wall's analytics
    Then the analytics count 2 posts by 2 unique posters
    When somebody posts "Slides of the keynote are up"
    Then the analytics count 3 posts by 3 unique posters without a reload
    And the posts-per-minute chart has moved
    And the analytics page has no script errors

@cache
Feature: Cached pages for the crowd, fresh pages for moderators
  When the whole hall opens the wall at once, anonymous visitors get the cached page;
  a moderator who is logged in works on their own page, never on a copy cached for others.
  A post changed quietly in the database (no purge) shows which copy is which.

  Scenario: An anonymous visitor gets the cached page while a moderator sees their own
    Given a wall with these posts:
      | author | text                        |
      | ann    | Schedule version one        |
    And an anonymous visitor has seen the wall
    When the post "Schedule version one" is changed to "Schedule version two" behind the cache's back
    Then another anonymous visitor gets the cached page with "Schedule version one"
    And a logged-in moderator sees "Schedule version two" on their moderation screen

  @edge
  Scenario: Through the nginx edge, anonymous visitors get the edge copy and moderators bypass it
    Given the site is served through the nginx edge
    And a wall with these posts:
      | author | text                        |
      | ann    | Room plan version one       |
    And an anonymous visitor has seen the wall
    When the post "Room plan version one" is changed to "Room plan version two" behind the cache's back
    Then another anonymous visitor gets the cached page with "Room plan version one"
    And that page came from the nginx edge, not from Django
    And a logged-in moderator's wall page does not come from the edge
    And a logged-in moderator sees "Room plan version two" on their moderation screen

  @edge
  Scenario: Through the nginx edge the wall still goes live
    Given the site is served through the nginx edge
    And a wall with these posts:
      | author | text                        |
      | ann    | Doors open at nine          |
    And I have the wall open and it is live
    When somebody posts "Keynote moved to room B"
    Then the wall shows "Keynote moved to room B" without a reload
    And the page has no script errors

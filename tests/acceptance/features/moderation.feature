@moderation
Feature: Moderating a wall
  Moderators keep the wall fit for the big screen in the hall: they approve posts on
  pre-approve walls and ban authors, and every open screen follows at once.

  Scenario: A moderator bans an author and their posts vanish from the big screen
    Given a wall with these posts:
      | author | text                           |
      | ann    | Great keynote this morning     |
      | troll  | Buy cheap watches now          |
      | troll  | Cheap watches, last chance     |
    And the big screen is showing the wall
    And I am logged in as a moderator
    When I ban the author of "Buy cheap watches now" on the moderation screen
    Then the posts by troll vanish from the big screen without a reload
    And the big screen still shows "Great keynote this morning"

  Scenario: On a pre-approve wall a post shows only after a moderator approves it
    Given a pre-approve wall
    And I have the wall open and it is live
    And I am logged in as a moderator
    When somebody posts "Is this allowed on the wall?"
    Then the moderation screen lists "Is this allowed on the wall?" as waiting
    And the wall does not show "Is this allowed on the wall?"
    When I approve "Is this allowed on the wall?" on the moderation screen
    Then the wall shows "Is this allowed on the wall?" without a reload

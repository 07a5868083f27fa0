@moderation
Feature: Driving the big screens remotely, and screens that survive outages
  Nobody should have to walk to the projector: a moderator sees every open screen of a wall and
  steers them from the Screens page or the moderation screen. A screen keeps showing posts when
  the network or the server is away, and catches up when it is back.

  Scenario: A moderator drives the big screen remotely
    Given a wall with these posts:
      | author | text                           |
      | ann    | Doors open at nine             |
      | bob    | Coffee in the foyer            |
    And the big screen is showing the wall
    And I am logged in as a moderator
    When I open the Screens page of the wall
    Then the Screens page lists the big screen
    When I press "Pause" for all screens
    And somebody posts "Posted while paused"
    Then the big screen received "Posted while paused" but holds it back
    When I put "Coffee in the foyer" on the screens from the moderation screen
    Then the big screen shows "Coffee in the foyer" in the spotlight
    When I show the banner "Keynote starts in 5 minutes in Hall A" on all screens
    Then the big screen shows the banner "Keynote starts in 5 minutes in Hall A"
    When I press "Resume" for all screens
    Then the big screen shows "Posted while paused" without a reload
    When I press "Pause" for the big screen alone
    And I press "Reload" for the big screen alone
    Then the big screen loads again and is still paused
    And the big screen has no script errors

  @slow
  Scenario: The big screen keeps rotating its posts through an outage and catches up
    Given a wall with these posts:
      | author | text                           |
      | ann    | Doors open at nine             |
      | bob    | Coffee in the foyer            |
      | cem    | Slides are online              |
      | dee    | Lunch is served                |
    And the big screen is showing the wall in the spotlight layout
    When the server goes away for 30 seconds while somebody posts "Written during the outage"
    Then the big screen kept changing posts and showed the offline mark all along
    And the big screen shows "Written during the outage" without a reload
    And the big screen shows every post once
    And the offline mark is gone

  @slow
  Scenario: A big screen reloaded during an outage comes back from its service worker
    Given a wall with these posts:
      | author | text                           |
      | ann    | Doors open at nine             |
      | bob    | Coffee in the foyer            |
      | cem    | Slides are online              |
    And the big screen is showing the wall in the spotlight layout
    And the big screen's service worker keeps its page
    When somebody posts "Received live before the outage"
    Then the big screen keeps "Received live before the outage" for an outage
    When the server goes away and the big screen is reloaded
    Then the big screen was served by its service worker
    And the big screen shows "Received live before the outage" from its outage store
    And the big screen shows the offline mark
    And the big screen keeps changing posts
    When somebody posts "Written during the outage" and the server comes back
    Then the big screen shows "Written during the outage" without a reload
    And the big screen shows every post once
    And the offline mark is gone

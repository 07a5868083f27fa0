@console
Feature: Setting up a wall in the console
  Organisers set up the walls of their event from a browser: no management commands, no admin,
  no API. Before a source is saved they see what it would bring to which wall.

  Scenario: Set up a wall from nothing in the console
    Given I am logged in as an organiser
    And a news feed with the posts:
      | text                                 |
      | Doors open at nine #djangoday        |
      | Our office is closed on Monday       |
    When I create a wall "Django Day" with the hashtag "djangoday" in the console
    And I add the news feed as a source of the wall and test it
    Then the test shows "Doors open at nine" approved on the new wall
    And the test shows "Our office is closed on Monday" not shown on the new wall
    When I save the source
    Then the console lists the source on the wall's page
    When I open the wall from the console
    Then I see the wall "Django Day"

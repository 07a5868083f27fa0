@wall
Feature: The archive without JavaScript
  The archive is plain pages: it works in any browser, with JavaScript switched off too.
  It shows 5 posts per page (the acceptance site's page size), newest first.

  Scenario: Paging through the archive with JavaScript switched off
    Given a wall with 12 numbered posts
    And my browser has JavaScript switched off
    When I open the wall's archive
    Then I see posts 12 to 8
    When I follow "Older posts"
    Then I see posts 7 to 3
    When I follow "Older posts"
    Then I see posts 2 to 1
    And there is no "Older posts" link
    When I follow "Newer posts"
    Then I see posts 7 to 3
    When I follow "Newest"
    Then I see posts 12 to 8

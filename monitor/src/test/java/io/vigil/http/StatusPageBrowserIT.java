package io.vigil.http;

import static io.vigil.http.StatusApiFixtures.AFFECTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vigil.events.Alert;
import io.vigil.events.MetricSnapshot;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium, driven by chromium-driver through Selenium, loads the status page of a
 * running API fed with a constructed fleet (the updated scanner alerting) and checks what a person
 * would see; the screenshot goes to {@code target/screenshots/status-page.png}. Skipped, with a
 * message, only where chromium or chromedriver is not installed.
 */
class StatusPageBrowserIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private final AtomicReference<List<MetricSnapshot>> snapshots = new AtomicReference<>(List.of());
    private final AtomicReference<List<Alert>> alerts = new AtomicReference<>(List.of());
    private HttpServerRunner http;
    private StatusApi api;
    private ChromeDriver browser;

    @BeforeEach
    void start(@TempDir Path profile) throws Exception {
        assumeTrue(
                Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "Chromium or chromedriver missing: apt-get install -y chromium chromium-driver");
        http = new HttpServerRunner("127.0.0.1", 0, () -> "", () -> true);
        api = new StatusApi(snapshots::get, alerts::get, () -> "RUNNING", new SnapshotHistory());
        api.registerOn(http);
        // As Monitor serves it: the incidents view's JSON at /api/incidents.
        io.vigil.alerts.OpenIncidents incidents = new io.vigil.alerts.OpenIncidents(
                () -> List.of(StatusApiFixtures.incident()), Duration.ofDays(1), java.time.Clock.systemUTC());
        http.route(
                "/api/incidents",
                exchange -> HttpServerRunner.respond(exchange, 200, "application/json", incidents.json()));
        http.start();
        // 30 simulated days of history, the scanner update on day 20.
        for (List<MetricSnapshot> day : StatusApiFixtures.timeline(30)) {
            snapshots.set(day);
            api.recordHistory();
        }
        alerts.set(List.of(StatusApiFixtures.firingAlert(), StatusApiFixtures.resolvedAlert()));

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--user-data-dir=" + profile.toAbsolutePath(),
                "--window-size=1440,1900",
                "--lang=en-US");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (api != null) {
            api.close();
        }
        if (http != null) {
            http.close();
        }
    }

    @Test
    void shouldShowTheUpdatedScannerAlertingAndTheOthersNot() throws Exception {
        browser.get(http.uri() + "/");
        await("page loaded")
                .atMost(Duration.ofSeconds(30))
                .ignoreException(StaleElementReferenceException.class)
                .until(() ->
                        "true".equals(browser.findElement(By.tagName("body")).getDomAttribute("data-loaded")));

        // The page re-renders its tables on every refresh: an element found just before one is stale when read,
        // so each check re-finds its elements until it holds (or 30 s pass).
        await("fleet, alerts and incident")
                .atMost(Duration.ofSeconds(30))
                .ignoreException(StaleElementReferenceException.class)
                .untilAsserted(() -> {
                    List<WebElement> scanners =
                            browser.findElements(By.cssSelector("#fleet-table tbody tr[data-slice='scanner']"));
                    assertThat(scanners)
                            .extracting(r -> r.getDomAttribute("data-value"))
                            .containsExactlyInAnyOrderElementsOf(StatusApiFixtures.SCANNERS);
                    for (WebElement row : scanners) {
                        String expected = AFFECTED.equals(row.getDomAttribute("data-value")) ? "alerting" : "ok";
                        assertThat(row.getDomAttribute("data-status"))
                                .as(row.getDomAttribute("data-value"))
                                .isEqualTo(expected);
                        assertThat(row.findElement(By.cssSelector(".status")).getText())
                                .isEqualTo(expected);
                    }
                    // worst first: the affected scanner is the first row
                    WebElement first = browser.findElement(By.cssSelector("#fleet-table tbody tr"));
                    assertThat(first.getDomAttribute("data-value")).isEqualTo(AFFECTED);
                    assertThat(browser.findElements(By.cssSelector("#alerts li[data-alert-id]")))
                            .singleElement()
                            .satisfies(a -> {
                                assertThat(a.getDomAttribute("data-value")).isEqualTo(AFFECTED);
                                assertThat(a.getText()).contains("Score distribution shifted");
                            });
                    assertThat(browser.findElement(By.id("stream-state")).getDomAttribute("data-state"))
                            .isEqualTo("RUNNING");
                    // Issue 19: the incident comes first on the page, rooted at the scanner, with its software change
                    // and members.
                    WebElement incident = browser.findElement(By.cssSelector("#incidents li[data-incident-id]"));
                    assertThat(incident.getDomAttribute("data-root")).isEqualTo("scanner=" + AFFECTED);
                    assertThat(incident.getText()).contains("software VA50A -> VA60A", "change estimated");
                    assertThat(browser.findElement(By.id("incident-count")).getText())
                            .isEqualTo("1");
                    assertThat(browser.findElement(By.id("no-incidents")).isDisplayed())
                            .isFalse();
                    assertThat(incident.getLocation().getY())
                            .as("incidents above the alerts and the fleet")
                            .isLessThan(browser.findElement(By.id("alerts-section"))
                                    .getLocation()
                                    .getY());
                });

        // the drill-down opens on the worst row: drift values, time series with bands, reliability diagram
        await("drill-down")
                .atMost(Duration.ofSeconds(30))
                .ignoreException(StaleElementReferenceException.class)
                .untilAsserted(() -> {
                    WebElement detail = browser.findElement(By.id("detail"));
                    assertThat(detail.getDomAttribute("data-key-prefix")).endsWith("|scanner|" + AFFECTED + "|");
                    assertThat(browser.findElements(
                                    By.cssSelector("#charts-drift .chart-box[data-metric='score_psi'] polyline.line")))
                            .hasSize(1);
                    assertThat(browser.findElements(By.cssSelector(
                                    "#charts-performance .chart-box[data-metric='sensitivity'] polygon.band")))
                            .hasSize(1);
                    assertThat(browser.findElements(By.cssSelector("#reliability circle[data-bin]")))
                            .hasSize(10);
                });
        assertThat(browser.findElement(By.id("drift-table")).getText()).contains("Score PSI", "KS distance");
        assertThat(browser.findElement(By.id("labels-table")).getText()).contains("Label coverage", "provisional");
        assertThat(browser.findElement(By.id("stability-table")).getText()).contains("Flip rate");

        File shot = browser.getScreenshotAs(OutputType.FILE);
        Path target = Path.of("target", "screenshots", "status-page.png");
        Files.createDirectories(target.getParent());
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.size(target)).isGreaterThan(10_000);

        // choosing another row moves the drill-down
        await("click the S01 row")
                .atMost(Duration.ofSeconds(30))
                .ignoreException(StaleElementReferenceException.class)
                .until(() -> {
                    browser.findElement(By.cssSelector("#fleet-table tbody tr[data-slice='site'][data-value='S01']"))
                            .click();
                    return true;
                });
        await("drill-down follows the click")
                .atMost(Duration.ofSeconds(30))
                .ignoreException(StaleElementReferenceException.class)
                .until(() -> browser.findElement(By.id("detail"))
                        .getDomAttribute("data-key-prefix")
                        .endsWith("|site|S01|"));
    }

    @Test
    void shouldOpenTheSliceAnAlertLinksTo() {
        // An Alertmanager-format alert's generatorURL (WebhookBodies) points here with the alert's slice.
        String value = java.net.URLEncoder.encode(AFFECTED, java.nio.charset.StandardCharsets.UTF_8);
        browser.get(http.uri() + "/?model=" + StatusApiFixtures.MODEL + "&version=" + StatusApiFixtures.VERSION
                + "&slice=scanner&value=" + value);
        await("the linked slice's drill-down")
                .atMost(Duration.ofSeconds(30))
                .ignoreException(StaleElementReferenceException.class)
                .until(() -> browser.findElement(By.id("detail"))
                        .getDomAttribute("data-key-prefix")
                        .endsWith("|scanner|" + AFFECTED + "|"));
    }

    @Test
    void shouldShowAHostileScannerIdAsTextAndRunNothing() {
        // Issue 17, Must 6: an id that is markup must stay text (the page builds rows with textContent).
        String hostile = "S09/<img src=x onerror=\"window.__pwned=1\">";
        List<MetricSnapshot> day = new java.util.ArrayList<>(StatusApiFixtures.fleetOnDay(30));
        day.addAll(StatusApiFixtures.sliceOnDay(30, "scanner", hostile));
        snapshots.set(day);
        api.recordHistory();

        browser.get(http.uri() + "/");
        await("page loaded")
                .atMost(Duration.ofSeconds(30))
                .ignoreException(StaleElementReferenceException.class)
                .until(() ->
                        "true".equals(browser.findElement(By.tagName("body")).getDomAttribute("data-loaded")));

        List<WebElement> rows = browser.findElements(By.cssSelector("#fleet-table tbody tr[data-slice='scanner']"));
        assertThat(rows)
                .filteredOn(r -> hostile.equals(r.getDomAttribute("data-value")))
                .singleElement()
                .satisfies(r -> assertThat(r.getText()).contains("<img src=x onerror="));
        assertThat(browser.findElements(By.cssSelector("#fleet-table img"))).isEmpty();
        assertThat(browser.executeScript("return typeof window.__pwned")).isEqualTo("undefined");
    }
}

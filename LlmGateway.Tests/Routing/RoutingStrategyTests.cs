using System.Net;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Routing;

public sealed class RoutingStrategyTests(TestServers servers) : RoutingTestBase(servers)
{
    [Fact]
    public async Task OrderedRoutingAlwaysPicksTheFirstHealthyDeploymentByOrder()
    {
        // The backup is listed second but has the lower order, so it comes first.
        var api = await StartApiAsync(TwoDeployments(primary: "order: 2", backup: "order: 1"));
        using var client = Client(api);

        for (var i = 0; i < 20; i++)
        {
            using var response = await ChatAsync(client);
            Assert.Equal(BackupId, Header(response, "x-gateway-deployment"));
        }

        Assert.Equal(0, Primary.RequestCount);
    }

    [Theory]
    [InlineData("simple-shuffle")]
    [InlineData("weighted")]
    public async Task WeightedRoutingRoughlyFollowsTheWeights(string strategy)
    {
        var api = await StartApiAsync(TwoDeployments($"router_settings:\n  routing_strategy: {strategy}", primary: "weight: 3", backup: "weight: 1"));
        using var client = Client(api);
        const int requests = 200;

        for (var i = 0; i < requests; i++)
        {
            using var response = await ChatAsync(client);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Expected share 0.75; ±0.1 is over 3 standard deviations at n = 200.
        Assert.InRange(Primary.RequestCount / (double)requests, 0.65, 0.85);
        Assert.Equal(requests, Primary.RequestCount + Backup.RequestCount);
    }

    [Fact]
    public async Task DeploymentAtItsRpmIsSkippedNotFailed()
    {
        var api = await StartApiAsync(TwoDeployments(primary: "rpm: 3"));
        using var client = Client(api);
        var answeredBy = new List<string?>();

        for (var i = 0; i < 5; i++)
        {
            using var response = await ChatAsync(client);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("1", Header(response, "x-gateway-attempts"));
            answeredBy.Add(Header(response, "x-gateway-deployment"));
        }

        Assert.Equal([PrimaryId, PrimaryId, PrimaryId, BackupId, BackupId], answeredBy);
        Assert.Equal(3, Primary.RequestCount);
    }

    [Fact]
    public async Task RpmIsCountedAcrossReplicasThroughRedis()
    {
        var yaml = TwoDeployments(primary: "rpm: 2");
        using var a = Client(await StartApiAsync(yaml));
        using var b = Client(await StartApiAsync(yaml));

        using var first = await ChatAsync(a);
        using var second = await ChatAsync(b);
        using var third = await ChatAsync(a);

        Assert.Equal(PrimaryId, Header(second, "x-gateway-deployment"));
        Assert.Equal(BackupId, Header(third, "x-gateway-deployment"));
    }

    [Fact]
    public async Task LowestCostRoutingPrefersTheCheaperDeployment()
    {
        var yaml = "model_list:\n"
            + Deployment("chat", PrimaryId, Primary, info: "input_cost_per_token: 0.00001\noutput_cost_per_token: 0.00003")
            + Deployment("chat", BackupId, Backup, info: "input_cost_per_token: 0.000001\noutput_cost_per_token: 0.000002")
            + Settings("router_settings:\n  routing_strategy: cost-based-routing");
        using var client = Client(await StartApiAsync(yaml));

        using var response = await ChatAsync(client);

        Assert.Equal(BackupId, Header(response, "x-gateway-deployment"));
    }

    [Theory]
    [InlineData("""{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}""")]
    // Escaped, as the provider reads it: an image all the same (a byte search for "image_url" missed it).
    [InlineData("""{"type":"\u0069mage_url","\u0069mage_url":{"url":"https://example.com/cat.png"}}""")]
    public async Task DeploymentWithoutVisionIsSkippedForAnImageRequest(string imagePart)
    {
        var api = await StartApiAsync(TwoDeployments(primaryInfo: "supports_vision: false"));
        using var client = Client(api);

        using var response = await client.PostAsync("/v1/chat/completions", new StringContent($$"""
            {"model":"chat","messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{{imagePart}}]}]}
            """, System.Text.Encoding.UTF8, "application/json"), Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(BackupId, Header(response, "x-gateway-deployment"));
        Assert.Equal(0, Primary.RequestCount);
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Proxy;

namespace LlmGateway.Tests.Management;

/// <summary>The management API checks the master key before it reads a body, and reads at most 1 MiB of one.</summary>
public sealed class ManagementGateTests(TestServers servers, ProxyFixture fixture)
    : ProxyTestBase<ProxyFixture>(servers, fixture), IClassFixture<ProxyFixture>
{
    [Theory]
    [InlineData("/key/generate", null)]
    [InlineData("/key/generate", "sk-not-a-key")]
    [InlineData("/team/new", null)]
    [InlineData("/key/update", "sk-not-a-key")]
    public async Task AnUnauthenticatedBadBodyIs401NotAParseError(string path, string? bearer)
    {
        using var client = CreateClient(bearer);
        using var response = await client.PostAsync(path, new StringContent("{bad", Encoding.UTF8, "application/json"), Timeout);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_api_key", await ErrorCodeAsync(response));
    }

    [Fact]
    public async Task AVirtualKeyWithABadBodyIs403()
    {
        using var admin = CreateClient(GatewayApiHost.MasterKey);
        var (_, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = "gate-team" }, ct: Timeout);
        using var client = CreateClient(key);
        using var response = await client.PostAsync("/team/new", new StringContent("{bad", Encoding.UTF8, "application/json"), Timeout);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task AnUnauthenticatedHugeBodyIsNeverRead()
    {
        // 30 MB declared, a few bytes sent: the 401 comes at once, without waiting for (or parsing) the rest.
        await using var connection = await RawHttpConnection.OpenAsync(Api.BaseAddress, "POST", "/key/generate",
            new Dictionary<string, string> { ["Content-Type"] = "application/json", ["Content-Length"] = "30000000" }, Timeout);
        await connection.SendAsync("{\"models\":[", Timeout);
        var answer = await connection.ReadAnswerAsync(Timeout);

        Assert.StartsWith("HTTP/1.1 401", answer);
    }

    [Fact]
    public async Task AMasterKeyBodyOverOneMebibyteIs413()
    {
        var big = "{\"key_alias\":\"" + new string('x', 1100 * 1024) + "\"}";
        using var declared = await Http.PostAsync("/key/generate", new StringContent(big, Encoding.UTF8, "application/json"), Timeout);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);

        // Chunked (no declared length): cut off by the server once past the limit.
        using var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/key/generate") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var undeclared = await Http.SendAsync(request, Timeout);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, undeclared.StatusCode);
    }

    private async Task<string?> ErrorCodeAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Timeout)).RootElement.GetProperty("error").GetProperty("code").GetString();
}

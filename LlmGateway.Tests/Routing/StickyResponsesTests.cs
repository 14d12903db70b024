#pragma warning disable OPENAI001 // the SDK marks its Responses client as evaluation-only
using System.ClientModel;
using System.ClientModel.Primitives;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using OpenAI.Responses;

namespace LlmGateway.Tests.Routing;

/// <summary>
/// Two OpenAI deployments of one model group, each its own fake: a response continues (<c>previous_response_id</c>) on the
/// deployment that gave it, and when that one fails, the chain is replayed from the gateway's store on the other.
/// </summary>
public sealed class StickyResponsesTests(StickyResponsesTests.TwoDeployments fixture) : IClassFixture<StickyResponsesTests.TwoDeployments>, IAsyncLifetime
{
    private const string Group = "gpt-shared";
    private readonly CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    private CancellationToken Timeout => timeout.Token;

    public ValueTask InitializeAsync()
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        fixture.First.Reset();
        fixture.Second.Reset();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        timeout.Dispose();
        return ValueTask.CompletedTask;
    }

    private ResponsesClient Sdk() => new(new ApiKeyCredential(GatewayApiHost.MasterKey), new ResponsesClientOptions
    {
        Endpoint = new Uri(fixture.Api.BaseAddress, "v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(30),
    });

    /// <summary>A first answer given by the second deployment: the first (tried first, by its order) fails once.</summary>
    private async Task<ResponseResult> AnswerFromTheSecondAsync()
    {
        fixture.First.Enqueue(FakeResponse.Error(500));
        fixture.Second.Enqueue(new FakeResponse { Text = "First answer." });
        ResponseResult first = await Sdk().CreateResponseAsync(new CreateResponseOptions(Group, [ResponseItem.CreateUserMessageItem("Hello")]), Timeout);
        Assert.Equal(1, fixture.Second.RequestCount);
        Assert.Contains(first.Id, fixture.Second.IssuedResponses);
        return first;
    }

    [Fact]
    public async Task AContinuationGoesToTheDeploymentThatGaveThePreviousAnswer()
    {
        var first = await AnswerFromTheSecondAsync();
        var next = new CreateResponseOptions(Group, [ResponseItem.CreateUserMessageItem("And then?")]) { PreviousResponseId = first.Id };

        ResponseResult second = await Sdk().CreateResponseAsync(next, Timeout);
        ResponseResult unrelated = await Sdk().CreateResponseAsync(new CreateResponseOptions(Group, [ResponseItem.CreateUserMessageItem("New chat")]), Timeout);

        Assert.Equal(2, fixture.Second.RequestCount);
        Assert.Contains(second.Id, fixture.Second.IssuedResponses);
        Assert.Contains(unrelated.Id, fixture.First.IssuedResponses); // without a previous answer, the order rules again
        var input = fixture.Second.Requests[^1].Json!["input"]!.AsArray();
        Assert.Equal(["Hello", "First answer.", "And then?"], input.Select(i => (string?)i!["content"]![0]!["text"]));
    }

    [Fact]
    public async Task WhenThatDeploymentFailsTheChainIsReplayedFromTheGatewaysStoreOnTheOther()
    {
        var first = await AnswerFromTheSecondAsync();
        fixture.Second.Enqueue(FakeResponse.Error(500));
        var next = new CreateResponseOptions(Group, [ResponseItem.CreateUserMessageItem("And then?")]) { PreviousResponseId = first.Id };

        ResponseResult second = await Sdk().CreateResponseAsync(next, Timeout);

        Assert.Contains(second.Id, fixture.First.IssuedResponses);
        var upstream = fixture.First.Requests[^1].Json!;
        Assert.Null(upstream["previous_response_id"]); // the first deployment never issued it: the history goes instead
        Assert.Equal(["Hello", "First answer.", "And then?"], upstream["input"]!.AsArray().Select(i => (string?)i!["content"]![0]!["text"]));
    }

    public sealed class TwoDeployments(TestServers servers) : IAsyncLifetime
    {
        private GatewayConfigFile config = null!;

        public FakeProviderServer First { get; private set; } = null!;
        public FakeProviderServer Second { get; private set; } = null!;
        public GatewayApiHost Api { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            First = await FakeProviderServer.StartAsync();
            Second = await FakeProviderServer.StartAsync();
            // Failures must not cool a deployment down here: which one answers is the order's or the affinity's doing.
            config = new GatewayConfigFile($"""
                model_list:
                  - model_name: {Group}
                    litellm_params: {"{"} model: openai/gpt-5, api_base: "{First.OpenAiBase}", api_key: sk-first, order: 1 {"}"}
                    model_info: {"{"} id: first {"}"}
                  - model_name: {Group}
                    litellm_params: {"{"} model: openai/gpt-5, api_base: "{Second.OpenAiBase}", api_key: sk-second, order: 2 {"}"}
                    model_info: {"{"} id: second {"}"}
                router_settings:
                  allowed_fails: 1000
                general_settings:
                  health_check_interval: 3600
                """);
            Api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(), config.Settings());
        }

        public async ValueTask DisposeAsync()
        {
            if (Api is not null)
                await Api.DisposeAsync();
            if (First is not null)
                await First.DisposeAsync();
            if (Second is not null)
                await Second.DisposeAsync();
            config?.Dispose();
        }
    }
}

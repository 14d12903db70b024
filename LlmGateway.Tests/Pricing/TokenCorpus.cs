using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Fixtures;

namespace LlmGateway.Tests.Pricing;

/// <summary>Texts the o200k counter must count exactly as Microsoft.ML.Tokenizers does, and bodies built from them.</summary>
public static class TokenCorpus
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Escaped = new() { Encoder = JavaScriptEncoder.Default };

    public static IEnumerable<(string Name, string Text)> Texts()
    {
        var plain = Plain().ToList();
        foreach (var (name, text) in plain)
        {
            yield return (name, text);
            yield return ($"json relaxed {name}", Chat(text, Relaxed));
            yield return ($"json escaped {name}", Chat(text, Escaped));
        }

        yield return ("claude code tool round", ClaudeCodeRequests.ToolRound("claude-sonnet-4-5").ToJsonString(Relaxed));
        yield return ("claude code body", Encoding.UTF8.GetString(ClaudeCodeBody(40_000)));
    }

    private static IEnumerable<(string Name, string Text)> Plain()
    {
        var random = new Random(42);
        yield return ("english", Repeat("The gateway reserves the worst case of every request before it calls the provider, then settles. ", 30));
        yield return ("french", Repeat("Élève, où est l'hôpital ? Ça coûte 12,50 € — déjà payé. Qu'est-ce qu'il y a ? ", 20));
        yield return ("german", Repeat("Größenänderung der Straßenbahn: Übermäßig schnell! ", 20));
        yield return ("chinese", Repeat("网关在调用提供商之前为每个请求预留最坏情况的费用，然后结算实际费用。", 20));
        yield return ("japanese", Repeat("ゲートウェイはプロバイダーを呼び出す前に最悪の場合の費用を予約し、実際の費用で精算します。", 20));
        yield return ("korean", Repeat("게이트웨이는 공급자를 호출하기 전에 모든 요청의 최악의 비용을 예약합니다. ", 20));
        yield return ("hindi", Repeat("गेटवे प्रदाता को कॉल करने से पहले हर अनुरोध की सबसे खराब लागत आरक्षित करता है। ", 20));
        yield return ("arabic", Repeat("تحجز البوابة أسوأ تكلفة لكل طلب قبل استدعاء المزود، ثم تسوي التكلفة الفعلية. ", 20));
        yield return ("russian", Repeat("Шлюз резервирует наихудшую стоимость каждого запроса перед вызовом провайдера. ", 20));
        yield return ("emoji", Repeat("👍🎉🚀✅🔥 👩‍👩‍👧‍👦 🇫🇷🇯🇵 👋🏽 ❤️ ", 40));
        yield return ("contractions", Repeat("I'LL say it's done, they'RE here, we'Ve gone, he'D go, I'm SURE, don't DON'T 'S 'll x'ſ K'Ll. ", 20));
        yield return ("mixed case", Repeat("camelCaseHTTPServer XMLHttpRequest iOSAppID getURLForID ABCdefGHI aBcDeF McDONALD ", 20));
        yield return ("digits", string.Concat(Enumerable.Range(0, 3000).Select(_ => (char)('0' + random.Next(10)))));
        yield return ("numbers", string.Join(",", Enumerable.Range(0, 800).Select(i => (i * 7919 % 100000).ToString())));
        yield return ("punctuation", Repeat("{ [ ( ) ] } ; : , . ! ? \n\t===>>> ... --- /// \\\\ @@ ## $$ %% ^^ && ** ~~ `` ''\"\" ", 30));
        yield return ("whitespace", Repeat("a  b   c\t\td \n\n  \r\n\r\n   e    \n\t \t \n  f  ", 40) + "   \n   ");
        yield return ("base64", Convert.ToBase64String(Bytes(random, 6000)));
        yield return ("hex", Convert.ToHexStringLower(Bytes(random, 3000)));
        yield return ("uuids", string.Join(" ", Enumerable.Range(0, 200).Select(_ => new Guid(Bytes(random, 16)).ToString())));
        yield return ("long letter run", new string('a', 5000) + " " + string.Concat(Enumerable.Range(0, 3000).Select(_ => (char)('a' + random.Next(26)))));
        yield return ("long cjk run", string.Concat(Enumerable.Range(0, 2000).Select(_ => (char)(0x4E00 + random.Next(0x5000)))));
        yield return ("special tokens", "before<|endoftext|>after <|endofprompt|> and <|endof|> <|im_start|> <|endoftext|><|endoftext|>");
        for (var seed = 0; seed < 8; seed++)
        {
            yield return ($"random bytes {seed}", Encoding.UTF8.GetString(Bytes(new Random(seed), 4000)));
            yield return ($"random mix {seed}", RandomMix(new Random(100 + seed), 3000));
        }

        foreach (var file in SourceFiles().Take(12))
        {
            yield return (Path.GetFileName(file), File.ReadAllText(file));
        }
    }

    /// <summary>A Claude-Code-like body of about <paramref name="bytes"/> bytes: its tool round plus turns reading source files.</summary>
    public static byte[] ClaudeCodeBody(int bytes, int skipFiles = 0)
    {
        var request = ClaudeCodeRequests.ToolRound("claude-sonnet-4-5");
        var messages = request["messages"]!.AsArray();
        var turn = 0;
        foreach (var file in SourceFiles().Skip(skipFiles))
        {
            if (Encoding.UTF8.GetByteCount(request.ToJsonString(Relaxed)) >= bytes)
            {
                break;
            }

            AddTurn(messages, turn++, File.ReadAllText(file));
        }

        return Encoding.UTF8.GetBytes(request.ToJsonString(Relaxed));
    }

    /// <summary>The same request with one more turn: what the agent sends next.</summary>
    public static byte[] Grown(byte[] body, string result)
    {
        var request = JsonNode.Parse(body)!.AsObject();
        AddTurn(request["messages"]!.AsArray(), 1000, result);
        return Encoding.UTF8.GetBytes(request.ToJsonString(Relaxed));
    }

    public static byte[] Chat(string text) => Encoding.UTF8.GetBytes(Chat(text, Relaxed));

    public static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static void AddTurn(JsonArray messages, int turn, string result)
    {
        messages.Add(JsonNode.Parse($$$"""
            {"role":"assistant","content":[{"type":"text","text":"Let me read the next file to see how the request flows."},
             {"type":"tool_use","id":"toolu_{{{turn}}}","name":"Read","input":{"file_path":"src/file{{{turn}}}.cs"}}]}
            """));
        messages.Add(new JsonObject
        {
            ["role"] = "user",
            ["content"] = new JsonArray(new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = $"toolu_{turn}", ["content"] = result }),
        });
    }

    private static string Chat(string text, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(new { model = "gpt-4o", messages = new object[] { new { role = "user", content = text } } }, options);

    private static string Repeat(string text, int times) => string.Concat(Enumerable.Repeat(text, times));

    private static string RandomMix(Random random, int length)
    {
        const string Alphabet = "aZ09 _-'\"\n\t\r.,;:/\\<|>{}[]()é漢字ñ€😀ـب्क́";
        var builder = new StringBuilder();
        while (builder.Length < length)
        {
            var at = random.Next(Alphabet.Length);
            builder.Append(char.IsHighSurrogate(Alphabet[at]) ? Alphabet.AsSpan(at, 2) : char.IsLowSurrogate(Alphabet[at]) ? "x" : Alphabet.AsSpan(at, 1));
        }

        return builder.ToString();
    }

    private static IEnumerable<string> SourceFiles()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "LlmGateway.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        return Directory.EnumerateFiles(Path.Combine(root, "LlmGateway.Api"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("Migrations", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
    }
}

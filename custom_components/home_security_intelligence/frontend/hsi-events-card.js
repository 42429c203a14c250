// Home Security Intelligence card. Built from frontend/src by `npm run build`; do not edit.
var Re=Object.defineProperty;var Le=(i,e,t)=>e in i?Re(i,e,{enumerable:!0,configurable:!0,writable:!0,value:t}):i[e]=t;var $=(i,e,t)=>Le(i,typeof e!="symbol"?e+"":e,t);var F=globalThis,B=F.ShadowRoot&&(F.ShadyCSS===void 0||F.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,J=Symbol(),de=new WeakMap,M=class{constructor(e,t,s){if(this._$cssResult$=!0,s!==J)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,t=this.t;if(B&&e===void 0){let s=t!==void 0&&t.length===1;s&&(e=de.get(t)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),s&&de.set(t,e))}return e}toString(){return this.cssText}},pe=i=>new M(typeof i=="string"?i:i+"",void 0,J),N=(i,...e)=>{let t=i.length===1?i[0]:e.reduce((s,r,o)=>s+(n=>{if(n._$cssResult$===!0)return n.cssText;if(typeof n=="number")return n;throw Error("Value passed to 'css' function must be a 'css' function result: "+n+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(r)+i[o+1],i[0]);return new M(t,i,J)},ue=(i,e)=>{if(B)i.adoptedStyleSheets=e.map(t=>t instanceof CSSStyleSheet?t:t.styleSheet);else for(let t of e){let s=document.createElement("style"),r=F.litNonce;r!==void 0&&s.setAttribute("nonce",r),s.textContent=t.cssText,i.appendChild(s)}},Y=B?i=>i:i=>i instanceof CSSStyleSheet?(e=>{let t="";for(let s of e.cssRules)t+=s.cssText;return pe(t)})(i):i;var{is:Te,defineProperty:Oe,getOwnPropertyDescriptor:Ue,getOwnPropertyNames:ze,getOwnPropertySymbols:He,getPrototypeOf:Ie}=Object,W=globalThis,_e=W.trustedTypes,De=_e?_e.emptyScript:"",je=W.reactiveElementPolyfillSupport,P=(i,e)=>i,Q={toAttribute(i,e){switch(e){case Boolean:i=i?De:null;break;case Object:case Array:i=i==null?i:JSON.stringify(i)}return i},fromAttribute(i,e){let t=i;switch(e){case Boolean:t=i!==null;break;case Number:t=i===null?null:Number(i);break;case Object:case Array:try{t=JSON.parse(i)}catch{t=null}}return t}},fe=(i,e)=>!Te(i,e),me={attribute:!0,type:String,converter:Q,reflect:!1,useDefault:!1,hasChanged:fe};Symbol.metadata??=Symbol("metadata"),W.litPropertyMetadata??=new WeakMap;var f=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=me){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let s=Symbol(),r=this.getPropertyDescriptor(e,s,t);r!==void 0&&Oe(this.prototype,e,r)}}static getPropertyDescriptor(e,t,s){let{get:r,set:o}=Ue(this.prototype,e)??{get(){return this[t]},set(n){this[t]=n}};return{get:r,set(n){let h=r?.call(this);o?.call(this,n),this.requestUpdate(e,h,s)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??me}static _$Ei(){if(this.hasOwnProperty(P("elementProperties")))return;let e=Ie(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(P("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(P("properties"))){let t=this.properties,s=[...ze(t),...He(t)];for(let r of s)this.createProperty(r,t[r])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[s,r]of t)this.elementProperties.set(s,r)}this._$Eh=new Map;for(let[t,s]of this.elementProperties){let r=this._$Eu(t,s);r!==void 0&&this._$Eh.set(r,t)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let s=new Set(e.flat(1/0).reverse());for(let r of s)t.unshift(Y(r))}else e!==void 0&&t.push(Y(e));return t}static _$Eu(e,t){let s=t.attribute;return s===!1?void 0:typeof s=="string"?s:typeof e=="string"?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let s of t.keys())this.hasOwnProperty(s)&&(e.set(s,this[s]),delete this[s]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return ue(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,s){this._$AK(e,s)}_$ET(e,t){let s=this.constructor.elementProperties.get(e),r=this.constructor._$Eu(e,s);if(r!==void 0&&s.reflect===!0){let o=(s.converter?.toAttribute!==void 0?s.converter:Q).toAttribute(t,s.type);this._$Em=e,o==null?this.removeAttribute(r):this.setAttribute(r,o),this._$Em=null}}_$AK(e,t){let s=this.constructor,r=s._$Eh.get(e);if(r!==void 0&&this._$Em!==r){let o=s.getPropertyOptions(r),n=typeof o.converter=="function"?{fromAttribute:o.converter}:o.converter?.fromAttribute!==void 0?o.converter:Q;this._$Em=r;let h=n.fromAttribute(t,o.type);this[r]=h??this._$Ej?.get(r)??h,this._$Em=null}}requestUpdate(e,t,s,r=!1,o){if(e!==void 0){let n=this.constructor;if(r===!1&&(o=this[e]),s??=n.getPropertyOptions(e),!((s.hasChanged??fe)(o,t)||s.useDefault&&s.reflect&&o===this._$Ej?.get(e)&&!this.hasAttribute(n._$Eu(e,s))))return;this.C(e,t,s)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(e,t,{useDefault:s,reflect:r,wrapped:o},n){s&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,n??t??this[e]),o!==!0||n!==void 0)||(this._$AL.has(e)||(this.hasUpdated||s||(t=void 0),this._$AL.set(e,t)),r===!0&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(t){Promise.reject(t)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[r,o]of this._$Ep)this[r]=o;this._$Ep=void 0}let s=this.constructor.elementProperties;if(s.size>0)for(let[r,o]of s){let{wrapped:n}=o,h=this[r];n!==!0||this._$AL.has(r)||h===void 0||this.C(r,void 0,o,h)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(s=>s.hostUpdate?.()),this.update(t)):this._$EM()}catch(s){throw e=!1,this._$EM(),s}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(t=>t.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(t=>this._$ET(t,this[t])),this._$EM()}updated(e){}firstUpdated(e){}};f.elementStyles=[],f.shadowRootOptions={mode:"open"},f[P("elementProperties")]=new Map,f[P("finalized")]=new Map,je?.({ReactiveElement:f}),(W.reactiveElementVersions??=[]).push("2.1.2");var oe=globalThis,ge=i=>i,q=oe.trustedTypes,$e=q?q.createPolicy("lit-html",{createHTML:i=>i}):void 0,Ae="$lit$",b=`lit$${Math.random().toFixed(9).slice(2)}$`,Se="?"+b,Fe=`<${Se}>`,x=document,L=()=>x.createComment(""),T=i=>i===null||typeof i!="object"&&typeof i!="function",ne=Array.isArray,Be=i=>ne(i)||typeof i?.[Symbol.iterator]=="function",X=`[ 	
\f\r]`,R=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,be=/-->/g,ye=/>/g,y=RegExp(`>|${X}(?:([^\\s"'>=/]+)(${X}*=${X}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),ve=/'/g,xe=/"/g,Ee=/^(?:script|style|textarea|title)$/i,ae=i=>(e,...t)=>({_$litType$:i,strings:e,values:t}),c=ae(1),ct=ae(2),ht=ae(3),w=Symbol.for("lit-noChange"),l=Symbol.for("lit-nothing"),we=new WeakMap,v=x.createTreeWalker(x,129);function ke(i,e){if(!ne(i)||!i.hasOwnProperty("raw"))throw Error("invalid template strings array");return $e!==void 0?$e.createHTML(e):e}var We=(i,e)=>{let t=i.length-1,s=[],r,o=e===2?"<svg>":e===3?"<math>":"",n=R;for(let h=0;h<t;h++){let a=i[h],p,u,d=-1,m=0;for(;m<a.length&&(n.lastIndex=m,u=n.exec(a),u!==null);)m=n.lastIndex,n===R?u[1]==="!--"?n=be:u[1]!==void 0?n=ye:u[2]!==void 0?(Ee.test(u[2])&&(r=RegExp("</"+u[2],"g")),n=y):u[3]!==void 0&&(n=y):n===y?u[0]===">"?(n=r??R,d=-1):u[1]===void 0?d=-2:(d=n.lastIndex-u[2].length,p=u[1],n=u[3]===void 0?y:u[3]==='"'?xe:ve):n===xe||n===ve?n=y:n===be||n===ye?n=R:(n=y,r=void 0);let g=n===y&&i[h+1].startsWith("/>")?" ":"";o+=n===R?a+Fe:d>=0?(s.push(p),a.slice(0,d)+Ae+a.slice(d)+b+g):a+b+(d===-2?h:g)}return[ke(i,o+(i[t]||"<?>")+(e===2?"</svg>":e===3?"</math>":"")),s]},O=class i{constructor({strings:e,_$litType$:t},s){let r;this.parts=[];let o=0,n=0,h=e.length-1,a=this.parts,[p,u]=We(e,t);if(this.el=i.createElement(p,s),v.currentNode=this.el.content,t===2||t===3){let d=this.el.content.firstChild;d.replaceWith(...d.childNodes)}for(;(r=v.nextNode())!==null&&a.length<h;){if(r.nodeType===1){if(r.hasAttributes())for(let d of r.getAttributeNames())if(d.endsWith(Ae)){let m=u[n++],g=r.getAttribute(d).split(b),j=/([.?@])?(.*)/.exec(m);a.push({type:1,index:o,name:j[2],strings:g,ctor:j[1]==="."?te:j[1]==="?"?se:j[1]==="@"?ie:E}),r.removeAttribute(d)}else d.startsWith(b)&&(a.push({type:6,index:o}),r.removeAttribute(d));if(Ee.test(r.tagName)){let d=r.textContent.split(b),m=d.length-1;if(m>0){r.textContent=q?q.emptyScript:"";for(let g=0;g<m;g++)r.append(d[g],L()),v.nextNode(),a.push({type:2,index:++o});r.append(d[m],L())}}}else if(r.nodeType===8)if(r.data===Se)a.push({type:2,index:o});else{let d=-1;for(;(d=r.data.indexOf(b,d+1))!==-1;)a.push({type:7,index:o}),d+=b.length-1}o++}}static createElement(e,t){let s=x.createElement("template");return s.innerHTML=e,s}};function S(i,e,t=i,s){if(e===w)return e;let r=s!==void 0?t._$Co?.[s]:t._$Cl,o=T(e)?void 0:e._$litDirective$;return r?.constructor!==o&&(r?._$AO?.(!1),o===void 0?r=void 0:(r=new o(i),r._$AT(i,t,s)),s!==void 0?(t._$Co??=[])[s]=r:t._$Cl=r),r!==void 0&&(e=S(i,r._$AS(i,e.values),r,s)),e}var ee=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:s}=this._$AD,r=(e?.creationScope??x).importNode(t,!0);v.currentNode=r;let o=v.nextNode(),n=0,h=0,a=s[0];for(;a!==void 0;){if(n===a.index){let p;a.type===2?p=new U(o,o.nextSibling,this,e):a.type===1?p=new a.ctor(o,a.name,a.strings,this,e):a.type===6&&(p=new re(o,this,e)),this._$AV.push(p),a=s[++h]}n!==a?.index&&(o=v.nextNode(),n++)}return v.currentNode=x,r}p(e){let t=0;for(let s of this._$AV)s!==void 0&&(s.strings!==void 0?(s._$AI(e,s,t),t+=s.strings.length-2):s._$AI(e[t])),t++}},U=class i{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,s,r){this.type=2,this._$AH=l,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=s,this.options=r,this._$Cv=r?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=S(this,e,t),T(e)?e===l||e==null||e===""?(this._$AH!==l&&this._$AR(),this._$AH=l):e!==this._$AH&&e!==w&&this._(e):e._$litType$!==void 0?this.$(e):e.nodeType!==void 0?this.T(e):Be(e)?this.k(e):this._(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==l&&T(this._$AH)?this._$AA.nextSibling.data=e:this.T(x.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:s}=e,r=typeof s=="number"?this._$AC(e):(s.el===void 0&&(s.el=O.createElement(ke(s.h,s.h[0]),this.options)),s);if(this._$AH?._$AD===r)this._$AH.p(t);else{let o=new ee(r,this),n=o.u(this.options);o.p(t),this.T(n),this._$AH=o}}_$AC(e){let t=we.get(e.strings);return t===void 0&&we.set(e.strings,t=new O(e)),t}k(e){ne(this._$AH)||(this._$AH=[],this._$AR());let t=this._$AH,s,r=0;for(let o of e)r===t.length?t.push(s=new i(this.O(L()),this.O(L()),this,this.options)):s=t[r],s._$AI(o),r++;r<t.length&&(this._$AR(s&&s._$AB.nextSibling,r),t.length=r)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let s=ge(e).nextSibling;ge(e).remove(),e=s}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},E=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,s,r,o){this.type=1,this._$AH=l,this._$AN=void 0,this.element=e,this.name=t,this._$AM=r,this.options=o,s.length>2||s[0]!==""||s[1]!==""?(this._$AH=Array(s.length-1).fill(new String),this.strings=s):this._$AH=l}_$AI(e,t=this,s,r){let o=this.strings,n=!1;if(o===void 0)e=S(this,e,t,0),n=!T(e)||e!==this._$AH&&e!==w,n&&(this._$AH=e);else{let h=e,a,p;for(e=o[0],a=0;a<o.length-1;a++)p=S(this,h[s+a],t,a),p===w&&(p=this._$AH[a]),n||=!T(p)||p!==this._$AH[a],p===l?e=l:e!==l&&(e+=(p??"")+o[a+1]),this._$AH[a]=p}n&&!r&&this.j(e)}j(e){e===l?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??"")}},te=class extends E{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===l?void 0:e}},se=class extends E{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==l)}},ie=class extends E{constructor(e,t,s,r,o){super(e,t,s,r,o),this.type=5}_$AI(e,t=this){if((e=S(this,e,t,0)??l)===w)return;let s=this._$AH,r=e===l&&s!==l||e.capture!==s.capture||e.once!==s.once||e.passive!==s.passive,o=e!==l&&(s===l||r);r&&this.element.removeEventListener(this.name,this,s),o&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},re=class{constructor(e,t,s){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=s}get _$AU(){return this._$AM._$AU}_$AI(e){S(this,e)}};var qe=oe.litHtmlPolyfillSupport;qe?.(O,U),(oe.litHtmlVersions??=[]).push("3.3.3");var Ce=(i,e,t)=>{let s=t?.renderBefore??e,r=s._$litPart$;if(r===void 0){let o=t?.renderBefore??null;s._$litPart$=r=new U(e.insertBefore(L(),o),o,void 0,t??{})}return r._$AI(i),r};var le=globalThis,_=class extends f{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=Ce(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return w}};_._$litElement$=!0,_.finalized=!0,le.litElementHydrateSupport?.({LitElement:_});var Ve=le.litElementPolyfillSupport;Ve?.({LitElement:_});(le.litElementVersions??=[]).push("4.2.2");function Ke(i){return i&&i.config&&i.config.time_zone||void 0}function Ze(i){return i&&(i.locale&&i.locale.language||i.language)||"en"}var ce=new Map;function Ge(i,e){let t=Ke(i),s=Ze(i),r=`${s}|${t}|${JSON.stringify(e)}`;if(!ce.has(r)){let o;try{o=new Intl.DateTimeFormat(s,{...e,timeZone:t})}catch{o=new Intl.DateTimeFormat("en",{...e,timeZone:t})}ce.set(r,o)}return ce.get(r)}function z(i,e){let t=new Date(i);return Number.isNaN(t.getTime())?"":Ge(e,{dateStyle:"medium",timeStyle:"short"}).format(t)}function V(i){return Object.entries(i||{}).filter(([,e])=>e>0).sort((e,t)=>t[1]-e[1]||e[0].localeCompare(t[0])).map(([e,t])=>`${t} ${t===1?e:Je(e)}`).join(", ")}function Je(i){return i==="bus"?"buses":i.endsWith("s")?i:i==="person"?"people":i.endsWith("y")&&!/[aeiou]y$/.test(i)?`${i.slice(0,-1)}ies`:/(ch|sh|x)$/.test(i)?`${i}es`:`${i}s`}function Me(i,e){let t=Math.max(0,Math.round((new Date(e)-new Date(i))/1e3));return Number.isFinite(t)?t<60?`${t} s`:`${Math.floor(t/60)} min ${t%60} s`:""}var Ne=["low","medium","high","critical"],Ye={low:{background:"#2e7d32",text:"#ffffff",label:"Low"},medium:{background:"#fdd835",text:"#212121",label:"Medium"},high:{background:"#ef6c00",text:"#000000",label:"High"},critical:{background:"#b71c1c",text:"#ffffff",label:"Critical"}},Qe={background:"#616161",text:"#ffffff",label:"Unknown"};function K(i){return Ye[i]||Qe}var Pe=[{value:"",label:"Any level"},{value:"medium",label:"Medium and above"},{value:"high",label:"High and above"},{value:"critical",label:"Critical only"}];function Z(i){let e=Ne.indexOf(i);return e<0?[]:Ne.slice(e)}var Xe={false_alarm:"false alarm",expected:"expected",threat:"a threat"},A=class extends _{constructor(){super(),this._message=null,this._busy=!1,this._clipFailed=!1}show(){this._message=null,this._clipFailed=!1;let e=this.renderRoot.querySelector("dialog");e&&!e.open&&e.showModal()}close(){let e=this.renderRoot.querySelector("dialog");e&&e.open&&e.close()}notify(e,t=!1){this._busy=!1,this._message={text:e,error:t}}willUpdate(e){let t=e.get("event");e.has("event")&&t&&this.event&&t.id!==this.event.id&&(this._clipFailed=!1,this._message=null)}_renderSighting(e){let t=e.entity_name||(e.known?`known ${e.label}`:`the same ${e.label}`),s=typeof e.similarity=="number"?` \xB7 ${Math.round(e.similarity*100)} % alike`:"",r=c`<b>${e.camera_name||e.camera}</b> · ${t} ·
      <time datetime=${e.seen_at}>${z(e.seen_at,this.hass)}</time>${s}`;return c`<li data-camera=${e.camera}>
      ${e.event_id?c`<button class="link" @click=${()=>this._open(e)}>${r}</button>`:r}
    </li>`}_open(e){this.dispatchEvent(new CustomEvent("hsi-action",{detail:{action:"open",event:{id:e.event_id,camera:e.camera}}}))}_act(e){this._busy=!0,this._message=null,this.dispatchEvent(new CustomEvent("hsi-action",{detail:{action:e,event:this.event}}))}render(){let e=this.event;return c`<dialog
      aria-labelledby="hsi-detail-title"
      @close=${()=>this.dispatchEvent(new CustomEvent("closed"))}
      @click=${t=>t.target.localName==="dialog"&&this.close()}
    >
      ${e?this._renderEvent(e):l}
    </dialog>`}_renderEvent(e){let t=K(e.risk_level),s=e.camera_name||e.camera,r=(e.media_urls||[]).filter(n=>/\.(jpe?g|png)(\?|$)/i.test(n)),o=e.sightings||[];return c`<article>
      <header>
        <h2 id="hsi-detail-title">${s}</h2>
        <button class="close" @click=${()=>this.close()} aria-label="Close">✕</button>
      </header>
      <p class="meta">
        <span
          class="badge"
          style="background:${t.background};color:${t.text}"
          data-level=${e.risk_level||"unknown"}
          ><b>${e.risk_score}</b> ${t.label}</span
        >
        <time datetime=${e.started_at}>${z(e.started_at,this.hass)}</time>
        <span>${Me(e.started_at,e.ended_at)}</span>
        <span>${V(e.objects)}</span>
        <span class="state">${e.reviewed?"\u2713 Reviewed":"\u25CF New"}</span>
      </p>
      <img class="snapshot" src=${e.snapshot_url||""} alt="Snapshot of the event, boxes drawn" />
      ${r.length>1?c`<div class="frames">
            ${r.map((n,h)=>c`<a href=${n} target="_blank" rel="noopener"
                ><img loading="lazy" src=${n} alt="Frame ${h+1} of ${r.length}"
              /></a>`)}
          </div>`:l}
      <h3>Clip</h3>
      ${this._clipFailed?c`<p class="muted">No clip is available for this event.</p>`:c`<video
            class="clip"
            controls
            playsinline
            preload="none"
            poster=${e.snapshot_url||""}
            src=${e.clip_url||""}
            @error=${()=>this._clipFailed=!0}
          ></video>`}
      <h3>Summary</h3>
      <p>${e.summary}</p>
      <h3>Why this score</h3>
      <p class="reasoning">${e.reasoning||"\u2014"}</p>
      <p class="muted">Scored by ${e.assessed_by||"?"}${e.model&&e.model!==e.assessed_by?c` (${e.model})`:l}${e.fast_path?" \xB7 fast path":""}</p>
      ${(e.zones||[]).length?c`<h3>Zones</h3>
            <p class="chips">${e.zones.map(n=>c`<span class="chip">${n}</span>`)}</p>`:l}
      <h3>Seen on other cameras</h3>
      ${o.length?c`<ul class="sightings">
            ${o.map(n=>this._renderSighting(n))}
          </ul>`:c`<p class="muted">
            ${"sightings"in e?"Not seen on other cameras within a day.":"detections"in e?"This server does not report re-ID sightings yet.":"Loading\u2026"}
          </p>`}
      ${e.notes?c`<h3>Notes</h3><p>${e.notes}</p>`:l}
      ${e.detail_error?c`<p class="error" role="alert">${e.detail_error}</p>`:l}
      ${this._message?c`<p class=${this._message.error?"error":"ok"} role="status">${this._message.text}</p>`:l}
      ${e.feedback?c`<p class="answer" data-feedback=${e.feedback}>Your answer: <b>${Xe[e.feedback]||e.feedback}</b></p>`:l}
      <footer>
        ${e.reviewed?c`<button @click=${()=>this._act("unreviewed")} ?disabled=${this._busy}>Mark not reviewed</button>`:c`<button class="primary" @click=${()=>this._act("reviewed")} ?disabled=${this._busy}>
              Mark reviewed
            </button>`}
        <button
          class="false-alarm"
          aria-pressed=${e.feedback==="false_alarm"?"true":"false"}
          @click=${()=>this._act("false_alarm")}
          ?disabled=${this._busy}
        >
          False alarm
        </button>
        <button
          class="expected"
          aria-pressed=${e.feedback==="expected"?"true":"false"}
          @click=${()=>this._act("expected")}
          ?disabled=${this._busy}
        >
          Expected
        </button>
        <button class="snooze" @click=${()=>this._act("snooze")} ?disabled=${this._busy}>Snooze camera 1 h</button>
      </footer>
    </article>`}};$(A,"properties",{hass:{attribute:!1},event:{attribute:!1},_message:{state:!0},_busy:{state:!0},_clipFailed:{state:!0}}),$(A,"styles",N`
    dialog {
      width: min(760px, calc(100vw - 32px));
      max-height: calc(100vh - 32px);
      padding: 0;
      border: 0;
      border-radius: var(--ha-card-border-radius, 12px);
      background: var(--card-background-color, #fff);
      color: var(--primary-text-color, #212121);
      box-shadow: 0 8px 32px rgba(0, 0, 0, 0.4);
    }
    dialog::backdrop {
      background: rgba(0, 0, 0, 0.55);
    }
    article {
      padding: 16px 20px 20px;
    }
    header {
      display: flex;
      align-items: center;
      justify-content: space-between;
    }
    h2 {
      margin: 0;
      font-size: 1.3em;
      font-weight: 500;
    }
    h3 {
      margin: 16px 0 4px;
      font-size: 0.95em;
      font-weight: 600;
      color: var(--secondary-text-color, #555);
    }
    p {
      margin: 4px 0;
    }
    .meta {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 6px 12px;
      color: var(--secondary-text-color, #555);
    }
    .badge {
      border-radius: 10px;
      padding: 1px 8px;
      white-space: nowrap;
    }
    .snapshot,
    .clip {
      display: block;
      width: 100%;
      max-height: 56vh;
      object-fit: contain;
      margin-top: 8px;
      border-radius: 8px;
      background: #000;
    }
    .frames {
      display: flex;
      gap: 6px;
      overflow-x: auto;
      margin-top: 6px;
    }
    .frames img {
      height: 64px;
      border-radius: 4px;
    }
    .reasoning {
      white-space: pre-line;
    }
    .muted {
      color: var(--secondary-text-color, #555);
    }
    .chips {
      display: flex;
      flex-wrap: wrap;
      gap: 6px;
    }
    .chip {
      border: 1px solid var(--divider-color, #ccc);
      border-radius: 12px;
      padding: 1px 10px;
    }
    .sightings {
      margin: 4px 0;
      padding-left: 20px;
    }
    .sightings button.link {
      border: 0;
      padding: 2px 0;
      border-radius: 0;
      color: inherit;
      text-align: left;
      text-decoration: underline dotted;
    }
    .answer {
      margin-top: 12px;
    }
    button[aria-pressed="true"] {
      background: var(--secondary-background-color, rgba(3, 169, 244, 0.12));
      font-weight: 600;
    }
    .error {
      color: var(--error-color, #b71c1c);
    }
    .ok {
      color: var(--success-color, #2e7d32);
    }
    footer {
      display: flex;
      flex-wrap: wrap;
      gap: 8px;
      margin-top: 16px;
    }
    button {
      font: inherit;
      border-radius: 18px;
      padding: 6px 14px;
      border: 1px solid var(--primary-color, #03a9f4);
      background: none;
      color: var(--primary-color, #0277bd);
      cursor: pointer;
    }
    button.primary {
      background: var(--primary-color, #0277bd);
      color: var(--text-primary-color, #fff);
    }
    button:disabled {
      opacity: 0.5;
      cursor: default;
    }
    button.close {
      border: 0;
      font-size: 1.2em;
      color: var(--secondary-text-color, #555);
    }
    @media (max-width: 600px) {
      dialog {
        width: 100vw;
        max-width: 100vw;
        height: 100vh;
        max-height: 100vh;
        border-radius: 0;
      }
      article {
        padding: 12px;
      }
    }
  `);var H="home_security_intelligence",G="hsi-events-card",k={title:"Security events",show_filters:!0,unreviewed_only:!1,page_size:20,height:480,refresh_interval:60},et={reviewed:"Marked as reviewed.",unreviewed:"Marked as not reviewed.",false_alarm:"Marked as a false alarm: similar events on this camera will score lower.",expected:"Marked as expected: similar events on this camera will score lower.",threat:"Marked as a threat: similar events on this camera will score higher."};function tt(i){let e=K(i.risk_level);return c`<span
    class="badge"
    style="background:${e.background};color:${e.text}"
    data-level=${i.risk_level||"unknown"}
    aria-label="Risk ${i.risk_score}, ${e.label}"
    ><b>${i.risk_score}</b> ${e.label}</span
  >`}var C=class extends _{constructor(){super(),this._events=[],this._cameras=[],this._cursor=null,this._loading=!1,this._error="",this._selected=null,this._generation=0,this._entryId=void 0}setConfig(e){if(!e||typeof e!="object")throw new Error("Invalid configuration");let t=Number(e.page_size??k.page_size);if(!Number.isInteger(t)||t<1||t>100)throw new Error("page_size must be a whole number from 1 to 100");if(e.level&&!Z(e.level).length)throw new Error("level must be one of low, medium, high, critical");this._config={...k,...e,page_size:t},this._filters={camera:e.camera||"",level:e.level||"",unreviewed:!!e.unreviewed_only},this.hass&&this._reload()}static getConfigElement(){return document.createElement("hsi-events-card-editor")}static getStubConfig(){return{title:k.title}}getCardSize(){return Math.max(3,Math.round((this._config?.height??k.height)/50)+1)}getGridOptions(){return{columns:12,min_columns:6,rows:8,min_rows:4}}connectedCallback(){super.connectedCallback(),this.hass&&this._config&&this._start()}disconnectedCallback(){super.disconnectedCallback(),this._stop()}updated(e){e.has("hass")&&this.hass&&this._config&&!this._started&&this._start(),!this._observer&&this._sentinel&&this._observe(),(e.has("_events")||e.has("_loading"))&&this._fill()}_fill(){let e=this._scroller;!e||!this._cursor||this._loading||this._error||e.scrollHeight<=e.clientHeight+200&&this._loadMore()}_start(){this._started=!0,this._reload(),this._subscribe();let e=Math.max(10,Number(this._config.refresh_interval)||k.refresh_interval);this._timer=setInterval(()=>this._refresh(),e*1e3),this._onReady=()=>this._refresh(),this.hass.connection.addEventListener("ready",this._onReady)}_stop(){this._started=!1,clearInterval(this._timer),this._unsubscribe&&this._unsubscribe.then(e=>e()).catch(()=>{}),this._unsubscribe=void 0,this._onReady&&this.hass&&this.hass.connection.removeEventListener("ready",this._onReady),this._observer&&this._observer.disconnect(),this._observer=void 0}_subscribe(){let e={type:`${H}/subscribe`};this._config.config_entry_id&&(e.config_entry_id=this._config.config_entry_id),this._unsubscribe=this.hass.connection.subscribeMessage(t=>this._onPush(t),e),this._unsubscribe.catch(t=>{this._unsubscribe=void 0,this._error=`Live updates unavailable: ${t.message||t.code||t}`})}_query(e){let t={type:`${H}/events`,limit:this._config.page_size};return this._config.config_entry_id&&(t.config_entry_id=this._config.config_entry_id),this._filters.camera&&(t.camera=this._filters.camera),this._filters.level&&(t.level=Z(this._filters.level).join(",")),this._filters.unreviewed&&(t.reviewed=!1),e&&(t.cursor=e),t}async _reload(){let e=++this._generation;this._loading=!0;try{let t=await this.hass.callWS(this._query());if(e!==this._generation)return;this._apply(t,!1)}catch(t){e===this._generation&&(this._error=I(t))}finally{e===this._generation&&(this._loading=!1)}}async _refresh(){if(!this.hass||this._loading)return;let e=this._generation;try{let t=await this.hass.callWS(this._query());if(e!==this._generation)return;let s=t.events||[],r=new Set(s.map(h=>h.id)),o=s.length?s[s.length-1].started_at:null,n=this._events.filter(h=>!r.has(h.id)&&o&&h.started_at<o);this._events=[...s,...n],n.length||(this._cursor=t.next_cursor||null),this._cameras=t.cameras||this._cameras,this._error=""}catch(t){this._error=I(t)}}async _loadMore(){if(!this._cursor||this._loading)return;let e=this._generation;this._loading=!0;try{let t=await this.hass.callWS(this._query(this._cursor));e===this._generation&&this._apply(t,!0)}catch(t){e===this._generation&&(this._error=I(t))}finally{e===this._generation&&(this._loading=!1)}}_apply(e,t){this._entryId=e.config_entry_id;let s=e.events||[];if(t){let r=new Set(this._events.map(o=>o.id));this._events=[...this._events,...s.filter(o=>!r.has(o.id))]}else this._events=s;this._cursor=e.next_cursor||null,this._cameras=e.cameras||[],this._error=""}_matches(e){let t=this._filters;return!(t.camera&&e.camera!==t.camera||t.level&&!Z(t.level).includes(e.risk_level)||t.unreviewed&&e.reviewed)}_onPush(e){let t=e&&e.event;!t||!t.id||this._upsert(t)}_upsert(e){let t=this._events.findIndex(r=>r.id===e.id),s=this._matches(e);if(t>=0){let r=[...this._events];s?r[t]={...r[t],...e}:r.splice(t,1),this._events=r}else s&&(this._events=[e,...this._events].sort((r,o)=>r.started_at<o.started_at?1:-1));this._selected&&this._selected.id===e.id&&(this._selected={...this._selected,...e})}_observe(){"IntersectionObserver"in window&&(this._observer=new IntersectionObserver(e=>{e.some(t=>t.isIntersecting)&&this._loadMore()},{root:this._scroller,rootMargin:"200px"}),this._observer.observe(this._sentinel))}get _scroller(){return this.renderRoot.querySelector(".timeline")}get _sentinel(){return this.renderRoot.querySelector(".sentinel")}_setFilter(e,t){this._filters={...this._filters,[e]:t},this._events=[],this._cursor=null,this._reload()}async _open(e){this._selected=e,await this.updateComplete;let t=this.renderRoot.querySelector("hsi-event-detail");t&&t.show();try{let s={type:`${H}/event`,event_id:e.id};this._entryId&&(s.config_entry_id=this._entryId);let r=await this.hass.callWS(s);this._selected&&this._selected.id===e.id&&(this._selected={...e,...r})}catch(s){this._selected&&this._selected.id===e.id&&(this._selected={...this._selected,detail_error:I(s)})}}async _onAction(e){let{action:t,event:s}=e.detail,r=this._entryId?{config_entry_id:this._entryId}:{},o=this.renderRoot.querySelector("hsi-event-detail");try{if(t==="open"){let h=this._events.find(a=>a.id===s.id)||s;await this._open(h);return}if(t==="snooze"){await this.hass.callService(H,"snooze_camera",{...r,camera:s.camera,minutes:60}),o?.notify(`Alerts from ${s.camera_name||s.camera} are snoozed for 1 hour.`),this._refresh();return}let n=await this.hass.callWS({type:`${H}/review`,...r,event_id:s.id,action:t});this._upsert({...s,...n}),o?.notify(et[t]||"Saved.")}catch(n){o?.notify(`Could not do that: ${I(n)}`,!0)}}render(){return this._config?c`
      <ha-card>
        <div class="header">
          <h2>${this._config.title}</h2>
          ${this._loading?c`<span class="spinner" role="status">Loading…</span>`:l}
        </div>
        ${this._config.show_filters?this._renderFilters():l}
        ${this._error?c`<p class="error" role="alert">${this._error}</p>`:l}
        <ul class="timeline" style="max-height:${Number(this._config.height)||k.height}px">
          ${this._events.map(e=>this._renderEvent(e))}
          ${!this._events.length&&!this._loading&&!this._error?c`<li class="empty">No events${this._filtered()?" match these filters":""}.</li>`:l}
          <li class="sentinel" aria-hidden="true"></li>
        </ul>
        ${this._cursor?c`<button class="more" @click=${()=>this._loadMore()} ?disabled=${this._loading}>
              Load older events
            </button>`:l}
      </ha-card>
      <hsi-event-detail
        .hass=${this.hass}
        .event=${this._selected}
        @hsi-action=${e=>this._onAction(e)}
        @closed=${()=>this._selected=null}
      ></hsi-event-detail>
    `:l}_filtered(){return!!(this._filters.camera||this._filters.level||this._filters.unreviewed)}_renderFilters(){let e=this._filters;return c`<div class="filters">
      <label
        >Camera
        <select @change=${t=>this._setFilter("camera",t.target.value)}>
          <option value="" ?selected=${!e.camera}>All cameras</option>
          ${this._cameras.map(t=>c`<option value=${t.id} ?selected=${e.camera===t.id}>${t.name}</option>`)}
        </select></label
      >
      <label
        >Level
        <select @change=${t=>this._setFilter("level",t.target.value)}>
          ${Pe.map(t=>c`<option value=${t.value} ?selected=${e.level===t.value}>${t.label}</option>`)}
        </select></label
      >
      <label class="check"
        ><input
          type="checkbox"
          .checked=${e.unreviewed}
          @change=${t=>this._setFilter("unreviewed",t.target.checked)}
        />
        Unreviewed only</label
      >
    </div>`}_renderEvent(e){let t=e.camera_name||e.camera;return c`<li class="event ${e.reviewed?"reviewed":"new"}" data-event-id=${e.id}>
      <button class="row" @click=${()=>this._open(e)} aria-label="${t}, ${e.summary}">
        <img
          class="thumb"
          loading="lazy"
          src=${e.snapshot_url||""}
          alt="Snapshot from ${t}"
          @error=${s=>s.target.classList.add("missing")}
        />
        <span class="text">
          <span class="line1">
            <span class="camera">${t}</span>
            <time datetime=${e.started_at}>${z(e.started_at,this.hass)}</time>
          </span>
          <span class="summary">${e.summary}</span>
          <span class="line3">
            ${tt(e)}
            <span class="objects">${V(e.objects)}</span>
            <span class="state">${e.reviewed?"\u2713 Reviewed":"\u25CF New"}</span>
          </span>
        </span>
      </button>
    </li>`}};$(C,"properties",{hass:{attribute:!1},_config:{state:!0},_events:{state:!0},_cameras:{state:!0},_cursor:{state:!0},_loading:{state:!0},_error:{state:!0},_filters:{state:!0},_selected:{state:!0}}),$(C,"styles",N`
    :host {
      display: block;
    }
    ha-card {
      overflow: hidden;
    }
    .header {
      display: flex;
      align-items: center;
      justify-content: space-between;
      padding: 12px 16px 4px;
    }
    h2 {
      margin: 0;
      font-size: 1.25em;
      font-weight: 500;
      color: var(--primary-text-color);
    }
    .spinner {
      font-size: 0.85em;
      color: var(--secondary-text-color);
    }
    .filters {
      display: flex;
      flex-wrap: wrap;
      gap: 8px 16px;
      padding: 4px 16px 8px;
      font-size: 0.9em;
      color: var(--secondary-text-color);
    }
    .filters label {
      display: flex;
      align-items: center;
      gap: 6px;
    }
    select {
      font: inherit;
      color: var(--primary-text-color);
      background: var(--card-background-color, #fff);
      border: 1px solid var(--divider-color, #ccc);
      border-radius: 6px;
      padding: 4px 6px;
    }
    .timeline {
      list-style: none;
      margin: 0;
      padding: 0 8px 8px;
      overflow-y: auto;
    }
    .event .row {
      display: flex;
      gap: 12px;
      width: 100%;
      padding: 8px;
      border: 0;
      border-radius: 8px;
      background: none;
      color: inherit;
      font: inherit;
      text-align: left;
      cursor: pointer;
    }
    .event .row:hover,
    .event .row:focus-visible {
      background: var(--secondary-background-color, rgba(127, 127, 127, 0.12));
    }
    .event + .event {
      border-top: 1px solid var(--divider-color, rgba(127, 127, 127, 0.2));
    }
    .thumb {
      flex: 0 0 auto;
      width: 112px;
      height: 63px;
      object-fit: cover;
      border-radius: 6px;
      background: var(--secondary-background-color, #e0e0e0);
    }
    .thumb.missing {
      visibility: hidden;
    }
    .text {
      display: flex;
      flex-direction: column;
      gap: 3px;
      min-width: 0;
      flex: 1;
    }
    .line1 {
      display: flex;
      justify-content: space-between;
      gap: 8px;
      font-size: 0.9em;
    }
    .camera {
      font-weight: 600;
      color: var(--primary-text-color);
    }
    time {
      color: var(--secondary-text-color);
      white-space: nowrap;
    }
    .summary {
      color: var(--primary-text-color);
      overflow: hidden;
      display: -webkit-box;
      -webkit-line-clamp: 2;
      -webkit-box-orient: vertical;
    }
    .line3 {
      display: flex;
      align-items: center;
      flex-wrap: wrap;
      gap: 8px;
      font-size: 0.85em;
      color: var(--secondary-text-color);
    }
    .badge {
      display: inline-block;
      border-radius: 10px;
      padding: 1px 8px;
      font-size: 0.95em;
      line-height: 1.5;
      white-space: nowrap;
    }
    .reviewed .state {
      color: var(--secondary-text-color);
    }
    .new .state {
      color: var(--primary-text-color);
      font-weight: 600;
    }
    .reviewed .row {
      opacity: 0.8;
    }
    .empty {
      padding: 16px 8px;
      color: var(--secondary-text-color);
    }
    .sentinel {
      height: 1px;
    }
    .error {
      margin: 0 16px 8px;
      color: var(--error-color, #b71c1c);
    }
    .more {
      display: block;
      margin: 0 auto 12px;
      font: inherit;
      color: var(--primary-color, #03a9f4);
      background: none;
      border: 1px solid currentColor;
      border-radius: 16px;
      padding: 4px 16px;
      cursor: pointer;
    }
    @media (max-width: 450px) {
      .thumb {
        width: 84px;
        height: 56px;
      }
      .line1 {
        flex-direction: column;
        gap: 0;
      }
    }
  `);function I(i){return i?typeof i=="string"?i:i.message||i.code||String(i):"unknown error"}var st=[{name:"title",selector:{text:{}}},{name:"config_entry_id",selector:{config_entry:{integration:"home_security_intelligence"}}},{name:"camera",selector:{text:{}}},{name:"level",selector:{select:{mode:"dropdown",options:[{value:"low",label:"Any level"},{value:"medium",label:"Medium and above"},{value:"high",label:"High and above"},{value:"critical",label:"Critical only"}]}}},{type:"grid",name:"",schema:[{name:"unreviewed_only",selector:{boolean:{}}},{name:"show_filters",selector:{boolean:{}}}]},{type:"grid",name:"",schema:[{name:"page_size",selector:{number:{min:1,max:100,mode:"box"}}},{name:"height",selector:{number:{min:160,max:2e3,step:20,mode:"box",unit_of_measurement:"px"}}},{name:"refresh_interval",selector:{number:{min:10,max:3600,mode:"box",unit_of_measurement:"s"}}}]}],it={title:"Title",config_entry_id:"Server (only with several)",camera:"Camera (folder name) shown first",level:"Level shown first",unreviewed_only:"Unreviewed only",show_filters:"Show filters",page_size:"Events per page",height:"Timeline height",refresh_interval:"Fallback refresh"},D=class extends _{setConfig(e){this._config={...e}}render(){if(!this.hass||!this._config)return l;let e={show_filters:!0,unreviewed_only:!1,page_size:20,height:480,refresh_interval:60,...this._config};return c`<ha-form
      .hass=${this.hass}
      .data=${e}
      .schema=${st}
      .computeLabel=${t=>it[t.name]||t.name}
      @value-changed=${t=>this._changed(t)}
    ></ha-form>`}_changed(e){e.stopPropagation();let t={...e.detail.value};for(let s of Object.keys(t))(t[s]===""||t[s]===void 0||t[s]===null)&&delete t[s];t.level==="low"&&delete t.level,this._config=t,this.dispatchEvent(new CustomEvent("config-changed",{detail:{config:t},bubbles:!0,composed:!0}))}};$(D,"properties",{hass:{attribute:!1},_config:{state:!0}});var he=(i,e)=>{customElements.get(i)||customElements.define(i,e)};he("hsi-event-detail",A);he("hsi-events-card-editor",D);he(G,C);window.customCards=window.customCards||[];window.customCards.some(i=>i.type===G)||window.customCards.push({type:G,name:"Security events",description:"Home Security Intelligence: a timeline of scored camera events with snapshots, clips and review.",preview:!1,documentationURL:"https://github.com/home-security-intelligence/hsi/blob/main/docs/home_assistant.md"});
/*! Bundled license information:

@lit/reactive-element/css-tag.js:
  (**
   * @license
   * Copyright 2019 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

@lit/reactive-element/reactive-element.js:
lit-html/lit-html.js:
lit-element/lit-element.js:
  (**
   * @license
   * Copyright 2017 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

lit-html/is-server.js:
  (**
   * @license
   * Copyright 2022 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)
*/
